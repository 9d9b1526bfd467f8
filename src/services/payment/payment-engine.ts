/**
 * The payment engine: runs the pure session state machine (payment/session.ts) against the devices and
 * the durable store. Every event goes through one queue, so transitions are atomic; each new session
 * version is stored (fsync'd) *before* its effects are carried out and before the device or caller that
 * caused it is answered (docs/design.md, "No money is lost").
 */
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { CardOutcome, CashAcceptor, CashCredit, EscrowDecision, PaymentDevices } from '../../drivers/interfaces.js';
import { ErrorCode, PayPointError, isPayPointError } from '../../errors.js';
import { checkPayRequest, validUid, type PayRequest } from '../../payment/pay-request.js';
import {
  applyEvent,
  isFinal,
  newSession,
  pollResult,
  resume,
  type Effect,
  type Session,
  type SessionEvent,
  type SessionSettings,
} from '../../payment/session.js';
import { PayResult, PollResult } from '../../base/types.js';
import { addOne } from '../../payment/cash-inventory.js';
import type { CashLimits } from '../../payment/cash-limits.js';
import { CashGate } from './cash-gate.js';
import type { SessionStore, StoredSession, UnattributedCredit } from '../store/session-store.js';
import type { Logger } from '../log.js';

export interface EngineOptions {
  store: SessionStore;
  devices: PaymentDevices;
  settings: SessionSettings;
  /** Contract 1: POS module on/off; off -> Pay answers -2. */
  enabled: boolean;
  maxAmount: number;
  uidMemoryMs: number;
  log: Logger;
  now?: () => number;
  /** Monotonic clock for the inactivity timeout (tests); default performance.now, or `now` when given. */
  monoNow?: () => number;
  /** How often the inactivity timeout is checked, ms. */
  tickMs?: number;
  /** What "running low and full" is measured against (docs/design.md, "Running low and full"). */
  cash?: { usualBill: number | null; cassetteCapacity: number | null };
}

export interface EngineEvents {
  changed: [session: StoredSession];
  finished: [session: StoredSession];
}

export class PaymentEngine extends EventEmitter<EngineEvents> {
  private readonly store: SessionStore;
  private readonly devices: PaymentDevices;
  private readonly settings: SessionSettings;
  private readonly log: Logger;
  private readonly now: () => number;
  private queue: Promise<unknown> = Promise.resolve();
  private current: StoredSession | null = null;
  private ticker: NodeJS.Timeout | null = null;
  /**
   * The inactivity timeout runs on a monotonic clock while the process lives: a Pi has no battery clock,
   * and the wall clock jumping forward at NTP sync must not cancel the customer's session. (Across a
   * restart only the wall clock exists; contract 2.5 uses it.)
   */
  private readonly mono: () => number;
  private activity: { id: string; wall: number; mono: number } | null = null;
  /** uid -> monotonic creation time of sessions started in this process, so a wall-clock jump does not
   *  make them "older than 24 hours" early (pruned as they age out). */
  private readonly startedHere = new Map<string, number>();
  private stopping = false;
  /** Effects in flight (payouts, card offers), awaited on stop. */
  private readonly inFlight = new Set<Promise<void>>();
  private lastStoreError: PayPointError | null = null;
  private readonly gate: CashGate;

  /**
   * Awaited before a session's final state is stored (the appliance's clock flag, docs/appliance.md,
   * "Clock"): what must be on disk about a finish is on disk before the finish is, so neither a power
   * cut nor a reader that sees the finished session (the CSV export) can find the finish without it.
   */
  private beforeFinish: ((session: Session) => Promise<void>) | null = null;

  constructor(private readonly opts: EngineOptions) {
    super();
    this.store = opts.store;
    this.devices = opts.devices;
    this.settings = opts.settings;
    this.log = opts.log;
    this.now = opts.now ?? Date.now;
    this.mono = opts.monoNow ?? opts.now ?? (() => performance.now());
    this.gate = new CashGate(opts.store, opts.devices, opts.cash ?? { usualBill: null, cassetteCapacity: null });
  }

  /** Wires the device handlers, resumes an interrupted session (contract 2.5), starts the timeout check. */
  async start(): Promise<void> {
    for (const a of this.devices.acceptors) {
      a.onCredit((c) => this.onCash(a, c));
      a.onEscrow?.((value) => this.onEscrow(value));
    }
    this.devices.card?.onOutcome((o) => this.onCardOutcome(o));
    this.devices.cancelButton?.onPress(async () => {
      await this.cancel('button');
    });

    const active = await this.store.active();
    for (const s of active) await this.resumeSession(s);
    for (const u of await this.store.unattributed()) if (!u.done) this.track(this.refundUnattributed(u));

    const tick = this.opts.tickMs ?? 500;
    this.ticker = setInterval(() => this.checkTimeout(), tick);
    this.ticker.unref();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.ticker) clearInterval(this.ticker);
    await Promise.allSettled([...this.inFlight]);
    await this.queue.catch(() => undefined);
  }

  /** The session now in progress, if any. */
  currentSession(): StoredSession | null {
    return this.current;
  }

  storeError(): PayPointError | null {
    return this.lastStoreError;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private track(p: Promise<void>): void {
    const t = p.catch((e) => this.log.error({ err: errInfo(e) }, 'payment effect failed')).finally(() => this.inFlight.delete(t));
    this.inFlight.add(t);
  }

  /** Whether the kiosk can take a payment now (contract 1, -2: "no means of payment in working order"). */
  canTakePayment(): boolean {
    if (!this.opts.enabled || this.stopping) return false;
    const cashOk = this.devices.acceptors.some((a) => a.health().state === 'ok' || a.health().state === 'degraded');
    const cardOk = this.devices.card !== null && this.devices.card.health().state === 'ok';
    return cashOk || cardOk;
  }

  /** Contract 1, Pay. Answers 0 only after the new session is fsync'd. */
  pay(req: PayRequest): Promise<PayResult> {
    return this.serial(async () => {
      const invalid = checkPayRequest(req, { maxAmount: this.opts.maxAmount });
      if (invalid !== null) {
        this.log.info({ uid: safeUid(req.uid), reason: invalid }, 'Pay refused: -1');
        return PayResult.Invalid;
      }
      const now = this.now();
      if ((await this.remembered(req.uid)) !== null) {
        this.log.info({ uid: req.uid }, 'Pay refused: -3 (uid seen within the uid memory)');
        return PayResult.Duplicate;
      }
      if (this.current !== null || !this.canTakePayment()) {
        this.log.info({ uid: req.uid, busyWith: this.current?.uid ?? null }, 'Pay refused: -2');
        return PayResult.Busy;
      }
      const id = `${now.toString(36)}-${randomUUID().slice(0, 8)}`;
      const { session, effects } = newSession(req, id, now, this.cardSettings());
      await this.store.insert(session);
      this.startedHere.set(session.uid, this.mono());
      this.activity = { id: session._id, wall: session.lastActivityAt, mono: this.mono() };
      this.current = { ...session, kind: 'session', outbox: null };
      this.log.info({ uid: session.uid, amount: session.amount, items: session.order.length, id }, 'session started');
      this.emit('changed', this.current);
      this.track(this.runEffects(session, effects));
      return PayResult.Accepted;
    });
  }

  /** Contract 1, PayPoll. */
  async poll(uid: string): Promise<PollResult> {
    if (!validUid(uid)) return PollResult.Invalid;
    const found = await this.remembered(uid);
    return found === null ? PollResult.NotFound : pollResult(found);
  }

  /** The newest session with this uid inside the uid memory (contract 1: 24 hours), or null. */
  private async remembered(uid: string): Promise<StoredSession | null> {
    const memory = this.opts.uidMemoryMs;
    const [hit] = await this.store.byUid(uid, this.now() - memory);
    if (hit) return hit;
    const here = this.startedHere.get(uid);
    if (here === undefined) return null;
    if (this.mono() - here >= memory) {
      this.startedHere.delete(uid);
      return null;
    }
    const [any] = await this.store.byUid(uid, Number.NEGATIVE_INFINITY);
    return any ?? null;
  }

  /**
   * Records when, on the monotonic clock, the session's last activity happened. Called on every store
   * write, so a new activity is timed from the moment it was stored; a session found at start is timed
   * by what the wall clock says its age is.
   */
  private noteActivity(s: Session): void {
    if (this.activity && this.activity.id === s._id && this.activity.wall === s.lastActivityAt) return;
    const fresh = this.activity?.id === s._id;
    const age = fresh ? 0 : Math.max(0, Math.min(this.now() - s.lastActivityAt, s.timeoutMs));
    this.activity = { id: s._id, wall: s.lastActivityAt, mono: this.mono() - age };
  }

  private pruneStartedHere(): void {
    const cutoff = this.mono() - this.opts.uidMemoryMs;
    for (const [uid, at] of this.startedHere) if (at <= cutoff) this.startedHere.delete(uid);
  }

  /** The customer's cancel (button, or `paypoint sim cancel`). Resolves after the cancel is stored. */
  async cancel(reason: 'button' | 'timeout' = 'button'): Promise<boolean> {
    const s = this.current;
    if (!s) return false;
    await this.dispatch(s._id, { type: 'cancel', reason });
    return true;
  }

  private cardSettings(): SessionSettings {
    const card = this.devices.card;
    return { ...this.settings, cardAvailable: card !== null && card.health().state === 'ok' };
  }

  /**
   * Applies one event to session `id`, stores the result, then starts its effects. Resolves after the
   * store write (fsync), so the caller may acknowledge.
   */
  private dispatch(id: string, event: SessionEvent): Promise<StoredSession> {
    return this.serial(async () => {
      const s = this.current;
      if (!s || s._id !== id) throw new PayPointError(ErrorCode.PaymentNoSession, `no session ${id} in progress`, { id, event: event.type });
      const now = this.now();
      const { session, effects } = applyEvent(s, event, now, this.cardSettings());
      if (session === s) return s; // nothing changed (a second cancel, a stale card answer)
      const stored = await this.save(session, s);
      this.track(this.runEffects(session, effects));
      return stored;
    });
  }

  /** Sets the hook awaited before a final state is stored; a hook that fails is logged and the finish goes on. */
  setBeforeFinish(hook: ((session: Session) => Promise<void>) | null): void {
    this.beforeFinish = hook;
  }

  private async save(session: Session, prev: StoredSession): Promise<StoredSession> {
    if (this.beforeFinish && isFinal(session) && !isFinal(prev)) {
      try {
        await this.beforeFinish(session);
      } catch (e) {
        // The finish itself (the money) must not wait on a side record.
        this.log.error({ err: errInfo(e), uid: session.uid }, 'before-finish record failed');
      }
    }
    let stored: StoredSession;
    try {
      stored = await this.store.save(session, prev.outbox, this.now());
    } catch (e) {
      this.lastStoreError = isPayPointError(e) ? e : new PayPointError(ErrorCode.StoreWriteFailed, String(e));
      this.log.fatal({ err: errInfo(e), uid: session.uid }, 'store write failed: event not acknowledged');
      throw this.lastStoreError;
    }
    this.lastStoreError = null;
    this.current = isFinal(stored) ? null : stored;
    if (this.current) this.noteActivity(this.current);
    if (prev.state !== stored.state) this.log.info({ uid: stored.uid, from: prev.state, to: stored.state, credited: stored.credited }, 'session state');
    this.emit('changed', stored);
    if (isFinal(stored)) {
      this.log.info({ uid: stored.uid, state: stored.state, credited: stored.credited, payout: stored.payout, report: stored.report !== null }, 'session finished');
      this.emit('finished', stored);
    }
    return stored;
  }

  private async runEffects(session: Session, effects: Effect[]): Promise<void> {
    for (const e of effects) {
      switch (e.type) {
        case 'enable-cash':
          await this.gate.open(session);
          break;
        case 'disable-cash':
          await Promise.all(this.devices.acceptors.map((a) => a.setEnabled(false)));
          break;
        case 'offer-card': {
          const card = this.devices.card;
          if (!card) break;
          // The operation number is stored before the request goes out (the hard case: src/drivers/vtk/vtk-recovery.ts).
          const opId = `${session._id}-c${session.card.offers + 1}`;
          try {
            await this.dispatch(session._id, { type: 'card-offered', opId });
          } catch (err) {
            if (isPayPointError(err, ErrorCode.PaymentInvalidEvent) || isPayPointError(err, ErrorCode.PaymentNoSession)) break; // cash came first
            throw err;
          }
          await card.startPayment(opId, e.amount);
          break;
        }
        case 'cancel-card':
          await this.devices.card?.cancel(e.opId);
          break;
        case 'payout':
          this.track(this.payout(session._id, e.amount));
          break;
        case 'finished':
          break;
      }
    }
  }

  /** Cassette full, hoppers low (docs/design.md, "Running low and full"), from the stored inventory. */
  cashLimits(): CashLimits {
    return this.gate.limits();
  }

  private async payout(id: string, amount: number): Promise<void> {
    const d = this.devices.dispenser;
    let paid = 0;
    if (d) {
      try {
        const r = await d.dispense(amount, async (value) => {
          await this.dispatch(id, { type: 'coin-out', value });
          paid += value;
        });
        if (r.paid !== paid) this.log.error({ reported: r.paid, counted: paid }, 'dispenser count disagrees with coins seen; using coins seen');
      } catch (e) {
        this.log.error({ err: errInfo(e), amount, paid }, 'dispenser failed mid-payout');
      }
    }
    await this.dispatch(id, { type: 'payout-done', requested: amount, paid });
  }

  private async onCash(acceptor: CashAcceptor, c: CashCredit): Promise<void> {
    const s = this.current;
    if (s && !isFinal(s)) {
      const stored = await this.dispatch(s._id, { type: 'cash', source: acceptor.kind, value: c.value, device: acceptor.name, ref: c.ref });
      if (stored.state === 'paying' && stored.cancelRequested === null) this.track(this.gate.narrow(stored));
      return;
    }
    await this.bookUnattributed(acceptor.kind, c.value, acceptor.name, c.ref, 'no session in progress');
  }

  /** README.md, "Cash hardware": stack a bill if it fits the amount or its change can be given; else return it. */
  private async onEscrow(value: number): Promise<EscrowDecision> {
    const s = this.current;
    if (!s || s.state !== 'paying' || s.cancelRequested !== null) return 'return';
    if (!this.gate.limits().billsAccepted) return 'return'; // the cassette is full: nowhere to stack it
    const over = s.credited + value - s.amount;
    if (over <= 0) return 'stack';
    const d = this.devices.dispenser;
    return d && d.payable(over) === over ? 'stack' : 'return';
  }

  private async onCardOutcome(o: CardOutcome): Promise<void> {
    const s = this.current;
    if (s && s.card.opId === o.opId) {
      await this.dispatch(s._id, { type: 'card-outcome', outcome: o });
      return;
    }
    if (o.result === 'approved') {
      // The card was charged for an offer no session waits for: keep the money on record, flagged.
      await this.bookUnattributed('card', o.amount, 'card', o.ref, `approval for ${o.opId} after the offer was withdrawn`);
    }
  }

  private async bookUnattributed(source: UnattributedCredit['source'], value: number, device: string, ref: string, reason: string): Promise<void> {
    const u: UnattributedCredit = {
      _id: `u-${this.now().toString(36)}-${randomUUID().slice(0, 8)}`,
      kind: 'unattributed',
      source,
      value,
      device,
      ref,
      at: this.now(),
      reason,
      refunded: 0,
      rest: source === 'card' ? value : 0,
      done: source === 'card',
    };
    await this.serial(() => this.store.addUnattributed(u));
    this.log.warn({ source, value, device, reason }, 'credit with no session: kept on record');
    if (!u.done) this.track(this.refundUnattributed(u));
  }

  private async refundUnattributed(u: UnattributedCredit): Promise<void> {
    const d = this.devices.dispenser;
    const owed = u.value - u.refunded - u.rest;
    let paid = 0;
    // Every coin paid back is stored by value (the hoppers' side of the cash inventory) before the next.
    let coins = u.coins ?? {};
    if (d && owed > 0) {
      await d.dispense(owed, async (v) => {
        paid += v;
        coins = addOne(coins, v);
        await this.serial(() => this.store.saveUnattributed({ ...u, refunded: u.refunded + paid, coins }));
      });
    }
    await this.serial(() => this.store.saveUnattributed({ ...u, refunded: u.refunded + paid, rest: u.rest + owed - paid, done: true, coins }));
  }

  private async resumeSession(s: StoredSession): Promise<void> {
    if (this.current && this.current._id !== s._id) {
      // Two unfinished sessions cannot happen through Pay; if the store holds them, finish the older.
      this.log.error({ uid: s.uid }, 'second unfinished session found at start: cancelling it');
    }
    this.current = s;
    let session: Session = s;
    if (s.card.opId !== null && this.devices.card) {
      // The hard case (src/drivers/vtk/vtk-recovery.ts): an offer was out when the daemon stopped. Ask the card module.
      if (s.credited > 0 || s.cancelRequested !== null) {
        // The stored session had withdrawn the offer (cash taken, contract 2.2, or a cancel) but the
        // power went before the card module heard it: withdraw it again first, so that an approval the
        // terminal gives meanwhile is reversed (FIN 0) rather than charged for a purchase paid otherwise.
        await this.devices.card.cancel(s.card.opId);
      }
      const outcome = await this.devices.card.recover(s.card.opId);
      this.log.warn({ uid: s.uid, opId: s.card.opId, outcome }, 'card operation found open at start');
      // Approved: the driver delivers the approval through onOutcome. Unknown: PayPoll keeps answering 1
      // and the status page says why, until the card module can tell. Either way the session resumes
      // below (cash stays possible: contract 2.2 only withdraws the card once cash is taken).
      if (outcome === 'declined' || outcome === 'cancelled') {
        await this.dispatch(s._id, {
          type: 'card-outcome',
          outcome: outcome === 'declined' ? { opId: s.card.opId, result: 'declined', reason: 'declined (learned at start)' } : { opId: s.card.opId, result: 'cancelled' },
        });
        if (!this.current) return;
        session = this.current;
      }
    }
    const now = this.now();
    const { session: next, effects } = resume(session, now, this.cardSettings());
    let stored = this.current!;
    if (next !== session) stored = await this.serial(() => this.save(next, this.current!));
    this.log.info({ uid: s.uid, state: stored.state, credited: stored.credited }, 'session resumed after restart');
    this.track(this.runEffects(next, effects));
  }

  /**
   * Contract 2.1-2.3: the card is offered while no cash is taken. An offer declined because the terminal
   * was not answering, or a session opened while it was down, gets the card once the terminal answers
   * again (its health back to ok), without waiting for the customer.
   */
  private offerCardAgain(s: StoredSession): void {
    if (this.reoffering || s.credited !== 0 || s.card.opId !== null || !this.cardSettings().cardAvailable) return;
    this.reoffering = true;
    this.log.info({ uid: s.uid }, 'card terminal answering again: card offered');
    this.track(this.runEffects(s, [{ type: 'offer-card', amount: s.amount }]).finally(() => (this.reoffering = false)));
  }

  private reoffering = false;

  private checkTimeout(): void {
    if (this.startedHere.size > 1000) this.pruneStartedHere();
    const s = this.current;
    if (!s || s.state !== 'paying' || s.cancelRequested !== null) return;
    this.offerCardAgain(s);
    this.noteActivity(s);
    if (this.mono() - this.activity!.mono < s.timeoutMs) return;
    this.dispatch(s._id, { type: 'cancel', reason: 'timeout' }).catch((e) => {
      if (!isPayPointError(e, ErrorCode.PaymentNoSession)) this.log.error({ err: errInfo(e) }, 'timeout cancel failed');
    });
  }

}

function safeUid(uid: string): string {
  return uid.length > 64 ? uid.slice(0, 64) + '…' : uid;
}

export function errInfo(e: unknown): Record<string, unknown> {
  if (e instanceof PayPointError) return { code: e.code, message: e.message };
  if (e instanceof Error) return { message: e.message };
  return { message: String(e) };
}
