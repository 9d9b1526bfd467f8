/**
 * The delivery worker of the report outbox (contract 3; docs/contract.md, "3. The report").
 *
 * - The outbox is the session documents themselves: the engine's write that finishes a session also
 *   queues its report (session-store.ts). The worker keeps an in-memory index of the pending ones, loaded
 *   from the store at start (so nothing is lost across restarts) and fed by the engine's 'finished' event.
 * - Oldest first, one at a time: the oldest report that is due goes out; the next waits for its answer.
 * - `true`: the report is marked delivered in an fsync'd write on the durable store. A kill between the
 *   answer and that write means one repeat later, which the contract allows (uid is the key). The marks
 *   are group-committed: while one fsync runs, the next report is already on its way, and the reports 1C
 *   acknowledged meanwhile are marked together by the next write (one append, one fsync). So a backlog
 *   drains at the network's pace rather than the disk's, and the store's queue, which PayPoll's reads share,
 *   sees one short write at a time instead of one per report. At risk at a kill: only the reports
 *   acknowledged during the last fsync (each repeats once).
 * - A failure of the *link* (outcome.ts: no network, timeout, server down, TLS, 401/403, 5xx) pauses the
 *   whole worker with back-off and jitter per class; nothing about the report changes but its attempt
 *   count and last error. While paused for a network-class failure, a cheap TCP probe runs every
 *   processing.probe_interval_s and the host's network interfaces are watched: when the server accepts
 *   connections again, or a link comes up, delivery resumes at once, not when the back-off ends.
 * - A refusal of *this report* (`false`, a SOAP fault, another 4xx, our own schema check) gives the report
 *   its own back-off and flags it (refusals > 0); the worker goes straight on to the next report, so a
 *   refused report never holds up the others. Nothing is ever dropped: refused reports stay pending and are
 *   tried again, ever more rarely, until 1C takes them.
 * - A report that times out (or loses its connection) three times in a row while the server accepts
 *   connections is treated as refused too: one report that makes 1C hang must not stop the others.
 */
import { networkInterfaces } from 'node:os';
import type { Logger } from '../log.js';
import type { OutboxState, SessionStore, StoredSession } from '../store/session-store.js';
import { backoffMs, isLinkFailure, PROBE_CLASSES, type Outcome, type OutcomeClass } from './outcome.js';
import { snapshotFromDocs, type LinkState, type OutboxSnapshot } from './outbox-snapshot.js';
import type { Report } from '../../base/types.js';

/** What the worker needs of the Register client (register-client.ts; a test double in unit tests). */
export interface ReportSender {
  readonly endpoint: string;
  register(report: Report): Promise<Outcome>;
  probe(): Promise<boolean>;
  close(): void;
}

export interface DeliveryWorkerOptions {
  store: SessionStore;
  /** Null when no processing server is configured: reports wait in the outbox. */
  sender: ReportSender | null;
  log: Logger;
  now?: () => number;
  /** Multiplies every back-off (processing.retry_scale). */
  retryScale?: number;
  probeIntervalMs?: number;
  random?: (n: number) => number;
}

/** Timeouts in a row on one report, with the server reachable, before it is set aside as refused. */
const STUCK_AFTER = 3;
/** Pause after the store failed to record an outcome (disk trouble): no busy loop. */
const STORE_RETRY_MS = 5_000;

export interface WorkerStats {
  attempts: number;
  delivered: number;
  byClass: Partial<Record<OutcomeClass, number>>;
}

export class DeliveryWorker {
  private readonly store: SessionStore;
  private readonly sender: ReportSender | null;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly scale: number;
  private readonly probeIntervalMs: number;
  private readonly random: ((n: number) => number) | undefined;

  /** Pending reports by session id, and their order (queuedAt, _id). */
  private readonly pending = new Map<string, StoredSession>();
  private order: string[] = [];
  private ordered = true;

  private running: Promise<void> | null = null;
  private stopped = false;
  private wakeUp: (() => void) | null = null;
  private sleepTimer: NodeJS.Timeout | null = null;
  private probeTimer: NodeJS.Timeout | null = null;
  private inFlight: string | null = null;

  private link: LinkState = { state: 'unknown', cls: null, detail: null, since: null, retryAt: null };
  private linkFailures = 0;
  private pausedUntil = 0;
  private readonly stuck = new Map<string, number>();
  private lastSuccess: OutboxSnapshot['lastSuccess'] = null;
  private lastErrorByClass: OutboxSnapshot['lastErrorByClass'] = {};
  private delivered = 0;
  private ifaceSignature = '';
  /** Reports 1C acknowledged, waiting for their delivered mark (group commit); and the write under way. */
  private marks: Array<{ s: StoredSession; at: number }> = [];
  private flushing: Promise<void> | null = null;
  readonly stats: WorkerStats = { attempts: 0, delivered: 0, byClass: {} };

  constructor(opts: DeliveryWorkerOptions) {
    this.store = opts.store;
    this.sender = opts.sender;
    this.log = opts.log;
    this.now = opts.now ?? Date.now;
    this.scale = opts.retryScale ?? 1;
    this.probeIntervalMs = opts.probeIntervalMs ?? 15_000;
    this.random = opts.random;
  }

  /** Loads the pending reports from the store and starts delivering. */
  async start(): Promise<void> {
    const seed = snapshotFromDocs(await this.store.withOutbox(), this.now(), null);
    this.lastSuccess = seed.lastSuccess;
    this.lastErrorByClass = seed.lastErrorByClass;
    this.delivered = seed.deliveredInStore;
    for (const s of await this.store.pendingReports()) this.add(s);
    this.ifaceSignature = interfacesSignature();
    if (this.pending.size) this.log.info({ pending: this.pending.size }, 'reports: pending reports loaded');
    if (!this.sender) {
      this.log.warn({ pending: this.pending.size }, 'reports: no processing server configured (processing.url): reports wait in the outbox');
      return;
    }
    this.running = this.loop().catch((e) => this.log.fatal({ err: { message: (e as Error).message } }, 'reports: delivery worker died'));
  }

  /**
   * A session finished (engine 'finished'): queue its report if it has one, and wake the worker. Without
   * an argument, only wakes it.
   */
  notify(s?: StoredSession): void {
    if (s?.outbox?.state === 'pending' && s.report) this.add(s);
    // While the link is paused a new report does not end the pause: the probe does.
    if (this.pausedUntil <= this.now()) this.wake();
  }

  /** Stops after the attempt in flight (waits for it at most `graceMs`; its report stays pending). */
  async stop(graceMs = 2_000): Promise<void> {
    this.stopped = true;
    this.clearProbe();
    this.wake();
    if (this.running) {
      let t: NodeJS.Timeout | undefined;
      await Promise.race([this.running, new Promise<void>((r) => (t = setTimeout(r, graceMs)))]);
      clearTimeout(t);
    }
    // What 1C acknowledged is marked before the store closes (a clean stop causes no repeat).
    this.flush();
    await this.flushing;
    // A transfer still running past the grace period is left to die with the process (its report stays
    // pending and is sent again: a repeat the contract allows); its curl handle is not pulled from under it.
    if (this.inFlight === null) this.sender?.close();
  }

  snapshot(): OutboxSnapshot {
    const s = snapshotFromDocs(this.pending.values(), this.now(), this.sender?.endpoint ?? null, { ...this.link });
    s.lastSuccess = this.lastSuccess;
    s.lastErrorByClass = { ...this.lastErrorByClass };
    s.deliveredInStore = this.delivered;
    return s;
  }

  private add(s: StoredSession): void {
    if (!this.pending.has(s._id)) {
      const last = this.order.length ? this.pending.get(this.order[this.order.length - 1]) : undefined;
      if (last && before(s, last)) this.ordered = false;
      this.order.push(s._id);
    }
    this.pending.set(s._id, s);
  }

  private remove(id: string): void {
    this.pending.delete(id);
    this.stuck.delete(id);
    // Delivered reports are usually the head: drop from the front cheaply.
    if (this.order[0] === id) this.order.shift();
    else this.order = this.order.filter((x) => x !== id);
  }

  /** The oldest report that is due now, or the time the next one becomes due. */
  private next(now: number): { due: StoredSession | null; wakeAt: number | null } {
    if (!this.ordered) {
      this.order.sort((a, b) => (before(this.pending.get(a)!, this.pending.get(b)!) ? -1 : 1));
      this.ordered = true;
    }
    let wakeAt: number | null = null;
    for (const id of this.order) {
      const s = this.pending.get(id)!;
      const at = s.outbox!.nextAttemptAt;
      if (at <= now) return { due: s, wakeAt: null };
      if (wakeAt === null || at < wakeAt) wakeAt = at;
    }
    return { due: null, wakeAt };
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const now = this.now();
      if (this.pausedUntil > now) {
        await this.sleep(this.pausedUntil - now);
        if (this.pausedUntil > this.now() && !this.stopped) continue;
        this.pausedUntil = 0;
        this.clearProbe();
        continue;
      }
      const { due, wakeAt } = this.next(now);
      if (!due) {
        await this.sleep(wakeAt === null ? null : wakeAt - now);
        continue;
      }
      await this.attempt(due);
    }
  }

  private async attempt(s: StoredSession): Promise<void> {
    this.inFlight = s._id;
    const outcome = await this.sender!.register(s.report!);
    this.inFlight = null;
    try {
      await this.apply(s, outcome);
    } finally {
      // Counted once the outcome is applied (stored), so a reader of the stats sees a consistent outbox.
      this.stats.attempts++;
      this.stats.byClass[outcome.cls] = (this.stats.byClass[outcome.cls] ?? 0) + 1;
    }
  }

  private async apply(s: StoredSession, outcome: Outcome): Promise<void> {
    const now = this.now();
    const prev = s.outbox!;
    const base: OutboxState = { ...prev, attempts: prev.attempts + 1, lastAttemptAt: now };

    if (outcome.cls === 'true') {
      // Out of the queue at once (it must not go out again), marked delivered by the group commit.
      this.remove(s._id);
      this.marks.push({ s, at: now });
      this.flush();
      this.stats.delivered++;
      this.lastSuccess = { at: now, uid: s.uid };
      this.linkUp(now);
      this.log.info({ uid: s.uid, attempts: base.attempts, ms: outcome.ms }, 'report delivered');
      return;
    }

    this.lastErrorByClass[outcome.cls] = { at: now, uid: s.uid, detail: outcome.detail };
    this.log.debug({ uid: s.uid, cls: outcome.cls, detail: outcome.detail, ms: outcome.ms }, 'report attempt failed');
    const failed: OutboxState = { ...base, lastErrorClass: outcome.cls, lastError: outcome.detail };

    if (isLinkFailure(outcome.cls) && !(await this.stuckOnThisReport(s, outcome.cls))) {
      // The link failed: the report stays due; the whole worker pauses.
      this.linkFailures++;
      const wait = backoffMs(outcome.cls as Exclude<OutcomeClass, 'true'>, this.linkFailures, this.scale, this.random);
      this.pausedUntil = now + wait;
      if (this.link.state !== 'down' || this.link.cls !== outcome.cls) {
        this.log.warn({ cls: outcome.cls, detail: outcome.detail, uid: s.uid, retryInMs: wait }, 'reports: processing server unreachable, delivery paused');
      }
      this.link = { state: 'down', cls: outcome.cls, detail: outcome.detail, since: this.link.state === 'down' ? this.link.since : now, retryAt: this.pausedUntil };
      await this.record(s, failed);
      if (PROBE_CLASSES.has(outcome.cls)) this.startProbe();
      return;
    }

    // This report was refused: its own back-off, flagged; the others go on.
    this.stuck.delete(s._id);
    const refusals = prev.refusals + 1;
    const wait = backoffMs(outcome.cls as Exclude<OutcomeClass, 'true'>, refusals, this.scale, this.random);
    const next: OutboxState = { ...failed, refusals, nextAttemptAt: now + wait };
    this.log.warn({ uid: s.uid, cls: outcome.cls, detail: outcome.detail, refusals, retryInMs: wait }, 'report refused by the processing server; kept and retried later');
    if (!isLinkFailure(outcome.cls)) this.linkUp(now);
    await this.record(s, next);
  }

  /**
   * Whether a timeout (or a dropped connection) is this report's own doing: the third in a row on it while
   * the server still accepts connections.
   */
  private async stuckOnThisReport(s: StoredSession, cls: OutcomeClass): Promise<boolean> {
    if (cls !== 'timeout' && cls !== 'network') {
      this.stuck.delete(s._id);
      return false;
    }
    const n = (this.stuck.get(s._id) ?? 0) + 1;
    this.stuck.set(s._id, n);
    if (n < STUCK_AFTER) return false;
    return this.sender!.probe();
  }

  private linkUp(now: number): void {
    if (this.link.state === 'down') this.log.info({ downSince: this.link.since }, 'reports: processing server reachable again');
    this.linkFailures = 0;
    this.link = { state: 'up', cls: null, detail: null, since: now, retryAt: null };
  }

  /** Starts the group commit of delivered marks unless one is under way (it picks up what is new). */
  private flush(): void {
    if (this.flushing || this.marks.length === 0) return;
    this.flushing = (async () => {
      while (this.marks.length) {
        const batch = this.marks.splice(0);
        const at = batch[batch.length - 1].at;
        try {
          await this.store.markDelivered(
            batch.map((b) => b.s._id),
            at,
          );
          this.delivered += batch.length;
          this.log.debug({ uids: batch.map((b) => b.s.uid) }, 'reports marked delivered');
        } catch (e) {
          // Not marked: they stay pending on disk, so back into the queue; 1C will see them again.
          this.log.error({ n: batch.length, err: { message: (e as Error).message } }, 'reports: cannot mark delivered reports; they will be sent again');
          for (const b of batch) this.add(b.s);
          this.pausedUntil = Math.max(this.pausedUntil, this.now() + STORE_RETRY_MS);
          break;
        }
      }
    })().finally(() => {
      this.flushing = null;
      if (this.marks.length && !this.stopped) this.flush();
    });
  }

  /** Stores a new outbox state (fsync'd); false (and a pause) when the store refused the write. */
  private async record(s: StoredSession, outbox: OutboxState): Promise<boolean> {
    try {
      await this.store.setOutbox(s._id, outbox);
      s.outbox = outbox;
      return true;
    } catch (e) {
      this.log.error({ uid: s.uid, err: { message: (e as Error).message } }, 'reports: cannot record a delivery outcome; retrying later');
      this.pausedUntil = Math.max(this.pausedUntil, this.now() + STORE_RETRY_MS);
      return false;
    }
  }

  private startProbe(): void {
    if (this.probeTimer || this.stopped) return;
    let probing = false;
    this.probeTimer = setInterval(() => {
      if (probing || this.pausedUntil <= this.now()) return;
      probing = true;
      const sig = interfacesSignature();
      const linkChanged = sig !== this.ifaceSignature;
      this.ifaceSignature = sig;
      (linkChanged ? Promise.resolve(true) : this.sender!.probe())
        .then((up) => {
          if (up && !this.stopped) {
            this.log.info({ linkChanged }, 'reports: probe sees the processing server again; resuming delivery');
            this.pausedUntil = 0;
            this.clearProbe();
            this.wake();
          }
        })
        .finally(() => (probing = false));
    }, this.probeIntervalMs);
    this.probeTimer.unref();
  }

  private clearProbe(): void {
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.probeTimer = null;
  }

  private sleep(ms: number | null): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      this.wakeUp = () => {
        this.wakeUp = null;
        if (this.sleepTimer) clearTimeout(this.sleepTimer);
        this.sleepTimer = null;
        resolve();
      };
      if (ms !== null) this.sleepTimer = setTimeout(() => this.wakeUp?.(), Math.max(0, ms));
    });
  }

  private wake(): void {
    this.wakeUp?.();
  }
}

function before(a: StoredSession, b: StoredSession): boolean {
  const qa = a.outbox!.queuedAt;
  const qb = b.outbox!.queuedAt;
  return qa < qb || (qa === qb && a._id < b._id);
}

/** Addresses of the host's non-loopback interfaces: changes when a cable is plugged or a link comes up. */
function interfacesSignature(): string {
  const out: string[] = [];
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    for (const a of addrs ?? []) if (!a.internal) out.push(`${name}/${a.address}`);
  }
  return out.sort().join(',');
}
