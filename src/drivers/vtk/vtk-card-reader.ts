/**
 * The card reader on a Vendotek terminal over the VTK protocol (VTK 1.12; the kiosk is the "VMC", the
 * terminal the "POS"), serial or TCP, behind the CardReader interface (src/drivers/interfaces.ts).
 *
 * Flow (VTK 4.1, 4.4, 4.5): IDL keep-alives every Tk; for an offer, a VRP with a fresh operation number
 * and the amount; the terminal answers VRP with the approved amount (or 0: declined); after an approval
 * the outcome goes to the payment engine, and only once the engine has stored it (acknowledgement rule)
 * does the driver send FIN with the amount sold (3.4); FIN 0 if the engine could not store it, so the
 * terminal treats the vend as failed instead of keeping money nobody recorded. After a decline or a FIN
 * answer, an IDL goes out at once (3.2).
 *
 * Operation numbers (3.3): the next number is one above the highest of what this kiosk used (journal)
 * and what the terminal reports in its IDL answers; it is written to the journal (fsync) BEFORE the VRP
 * goes out. The terminal keeps the number in non-volatile memory and answers a repeated VRP or FIN with
 * the same number with its previous result: that makes retries idempotent and is how the hard case is
 * settled.
 *
 * The hard case (issue 5, item 3): the link drops, the operation times out (3.6), or the daemon restarts
 * while the terminal is authorising. The driver never guesses. After reconnecting it reads the
 * terminal's current operation number from its IDL answer:
 *   - lower than ours: our VRP never arrived, nothing was charged -> 'cancelled';
 *   - equal: it repeats the VRP with the same number and amount; the terminal answers with the result
 *     it has (approved amount or 0), or, still authorising, answers when done;
 *   - higher: the terminal has moved on to an operation we did not send; VTK offers no way to ask about
 *     an older number, so the outcome can never be learned from the terminal. The operation stays
 *     'unknown' (health 'fault', the engine keeps PayPoll at 1) until a person settles it with
 *     settleByHand() after checking the terminal's or the bank's journal (README, "Card payments").
 * Until the outcome is known, recover() answers 'unknown' and the outcome is delivered later through
 * onOutcome.
 */
import { encodeFrame, VtkDeframer, VtkDiscriminator, type VtkFraming } from '../../codecs/vtk/frame.js';
import { decodeMessage, describeMessage, encodeMessage, type VtkMessage } from '../../codecs/vtk/message.js';
import { ErrorCode, PayPointError } from '../../errors.js';
import type { CardOutcome, CardReader, DeviceHealth } from '../interfaces.js';
import type { ByteLink, LinkOpener } from './byte-link.js';
import { VtkOpJournal, type VtkOpRecord, type VtkOpResult } from './vtk-op-journal.js';

/** pino's Logger satisfies this. */
export interface VtkLog {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

const noLog: VtkLog = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

export interface VtkCardReaderOptions {
  /** Device name for health and logs. Default 'card'. */
  name?: string;
  /** 'serial' (1F + CRC) or 'tcp' (VTK 1.12 section 2). */
  framing: VtkFraming;
  /** Opens the link: openSerialLink(path) or () => TcpLink.connect(host, 62801). */
  open: LinkOpener;
  /** The driver's journal file (operation numbers, FINs owed), e.g. DATA_DIR/vtk-ops.json. */
  journalPath: string;
  log?: VtkLog;
  /** Product name (tag 0F) the terminal may show with the amount. */
  productName?: string;
  /** 3.5: keep-alive interval Tk until the terminal sends its own (tag 05). Default 10 000 ms. */
  keepaliveMs?: number;
  /** 3.6: VRP/FIN answer timeout until the terminal sends its own (tag 06). Default 60 000 ms. */
  opTimeoutMs?: number;
  /** 3.5: the link is lost after 3*Tk + this much silence. Default 8 000 ms. */
  linkSlackMs?: number;
  /** Section 1: a serial frame must complete within 8 s of its start byte. Default 8 000 ms. */
  interByteMs?: number;
  /** Pause between reconnection attempts. Default 3 000 ms. */
  reconnectMs?: number;
  /** How long recover() waits for the terminal before answering 'unknown'. Default 5 000 ms. */
  recoverWaitMs?: number;
  /**
   * An operation found open at start that no recover() call claims within this time belongs to no
   * waiting session (the engine stored its outcome before the restart): its FIN is settled from what
   * the terminal says. A new startPayment ends the wait at once. Default 60 000 ms.
   */
  orphanGraceMs?: number;
  /** Take the terminal's keep-alive and timeout values (tags 05, 06) as 3.5/3.6 require. Default true. */
  honourTerminalTimers?: boolean;
}

type Phase = 'vrp' | 'resolve' | 'deliver' | 'fin';
/** Who is told the outcome: the engine's handler; a waiting recover(); nobody yet (found at start); nobody. */
type Delivery = 'handler' | 'recover' | 'unclaimed' | 'orphan';
type Learned = { kind: 'answer'; amount: number; receipt?: string } | { kind: 'never-sent' };
type RecoverResult = 'approved' | 'declined' | 'cancelled' | 'unknown';

interface Job {
  rec: VtkOpRecord;
  phase: Phase;
  delivery: Delivery;
  /** The VRP for this job went out (or may have: a failed write counts). */
  sent: boolean;
  /** cancel() was called: a zero answer is reported as 'cancelled', not 'declined'. */
  abort: boolean;
  learned: Learned | null;
  recoverWaiter: ((r: RecoverResult) => void) | null;
  /** conclude() has acted on `learned`. */
  concluded: boolean;
  createdAt: number;
}

const MAX_OP_NUMBER = 99_999_999; // 3.1: 8 decimal digits

export class VtkCardReader implements CardReader {
  readonly name: string;
  private readonly o: Required<Omit<VtkCardReaderOptions, 'productName' | 'log' | 'name'>> & { productName?: string };
  private readonly log: VtkLog;
  private handler: ((o: CardOutcome) => Promise<void>) | null = null;
  private journal: VtkOpJournal | null = null;
  private journalError: string | null = null;
  private started = false;

  private link: ByteLink | null = null;
  private linkGen = 0;
  private connecting = false;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private ticker: NodeJS.Timeout | null = null;
  private deframer: VtkDeframer;
  /** The terminal answered on this link: it is in the IDLE state (3.2). */
  private active = false;
  private lastRxAt = 0;
  private lastIdlAt = 0;
  /** The terminal's current operation number from its IDL/DIS answers on this link (3.3). */
  private posOpNumber: number | null = null;
  private awaiting: { name: 'VRP' | 'FIN'; opNumber: number; since: number } | null = null;
  private keepaliveMs: number;
  private opTimeoutMs: number;
  private lastLinkError: string | null = null;
  private dropped = 0;

  private jobs: Job[] = [];
  /** opIds whose journal write is in progress (a retry meanwhile must not take a second number). */
  private readonly starting = new Set<string>();
  private lastAllocated = 0;
  /** Claimed operations whose outcome the terminal can no longer tell (see the header). */
  private readonly stuck = new Map<string, Job>();

  constructor(opts: VtkCardReaderOptions) {
    this.name = opts.name ?? 'card';
    this.log = opts.log ?? noLog;
    this.o = {
      framing: opts.framing,
      open: opts.open,
      journalPath: opts.journalPath,
      productName: opts.productName,
      keepaliveMs: opts.keepaliveMs ?? 10_000,
      opTimeoutMs: opts.opTimeoutMs ?? 60_000,
      linkSlackMs: opts.linkSlackMs ?? 8_000,
      interByteMs: opts.interByteMs ?? 8_000,
      reconnectMs: opts.reconnectMs ?? 3_000,
      recoverWaitMs: opts.recoverWaitMs ?? 5_000,
      orphanGraceMs: opts.orphanGraceMs ?? 60_000,
      honourTerminalTimers: opts.honourTerminalTimers ?? true,
    };
    this.keepaliveMs = this.o.keepaliveMs;
    this.opTimeoutMs = this.o.opTimeoutMs;
    this.deframer = new VtkDeframer(this.o.framing, { interByteMs: this.o.interByteMs });
  }

  // ---------------------------------------------------------------- CardReader

  onOutcome(handler: (o: CardOutcome) => Promise<void>): void {
    this.handler = handler;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    try {
      this.journal = await VtkOpJournal.open(this.o.journalPath);
    } catch (e) {
      this.journalError = (e as Error).message;
      this.log.error({ device: this.name, err: { message: this.journalError } }, 'VTK: journal unusable; card payments disabled');
      return;
    }
    const now = mono();
    for (const rec of this.journal.unfinished()) {
      // 'requested': the VRP may have gone out before the restart; ask the terminal (header, hard case).
      // 'finishing': the outcome was delivered; the FIN is still owed (3.3: a repeated FIN is harmless).
      this.jobs.push(newJob(rec, rec.state === 'finishing' ? 'fin' : 'resolve', rec.state === 'finishing' ? 'orphan' : 'unclaimed', now, true));
      this.log.warn({ device: this.name, opId: rec.opId, opNumber: rec.opNumber, state: rec.state }, 'VTK: operation open at start');
    }
    const tickMs = Math.max(10, Math.min(250, Math.floor(this.o.keepaliveMs / 4)));
    this.ticker = setInterval(() => this.tick(), tickMs);
    // Not unref()d: a started driver is a live component; stop() clears it.
    void this.connect();
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    if (this.ticker) clearInterval(this.ticker);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.ticker = this.reconnectTimer = null;
    for (const j of [...this.jobs, ...this.stuck.values()]) this.answerRecover(j, 'unknown');
    const l = this.link;
    this.dropLink();
    await l?.close().catch(() => undefined);
    // Operations in flight stay in the journal; the next start asks the terminal about them.
    await this.journal?.flush();
  }

  async startPayment(opId: string, amount: number): Promise<void> {
    const journal = this.requireJournal();
    if (!Number.isSafeInteger(amount) || amount <= 0 || String(amount).length > 12) {
      throw new PayPointError(ErrorCode.DeviceProtocol, 'VTK: amount must be 1..12 digits of kopecks (3.4)', { amount });
    }
    if (this.starting.has(opId)) return; // the same offer is being journaled right now
    const existing = journal.byOpId(opId);
    if (existing) {
      // The same offer again (a retry): the terminal answers a repeated number with its previous result
      // (3.3), and a finished one is told again from the journal.
      if (!this.jobs.some((j) => j.rec.opId === opId) && !this.stuck.has(opId)) this.redeliver(existing);
      return;
    }
    // Anything still unclaimed belongs to no session: the engine claims its open offer through
    // recover() during its start, before it takes a new Pay.
    for (const j of this.jobs) if (j.delivery === 'unclaimed') this.orphan(j);
    if (!this.link || !this.active) {
      // Nothing was journaled or sent: certainly not charged.
      this.log.warn({ device: this.name, opId }, 'VTK: card offer refused, terminal not answering');
      this.later(() => this.deliver({ opId, result: 'declined', reason: 'card terminal offline' }));
      this.kick();
      return;
    }
    // 3.3: the VMC increments the operation number before each VRP; above what we used and what the
    // terminal reports, so a number is never reused (a reuse would fetch an old result).
    const highest = Math.max(journal.lastOpNumber, this.posOpNumber ?? 0, this.lastAllocated, ...this.jobs.map((j) => j.rec.opNumber));
    // (Wrapping past 99 999 999 is not handled: centuries of operations at a kiosk.)
    const opNumber = highest >= MAX_OP_NUMBER ? 1 : highest + 1;
    this.lastAllocated = opNumber;
    const rec: VtkOpRecord = { opId, opNumber, amount, state: 'requested', at: Date.now() };
    // Issue 5, the hard case: the operation number is durable before the request goes out.
    this.starting.add(opId);
    try {
      await journal.put(rec);
    } finally {
      this.starting.delete(opId);
    }
    this.jobs.push(newJob(rec, 'vrp', 'handler', mono(), false));
    this.log.info({ device: this.name, opId, opNumber, amount }, 'VTK: card offered');
    this.kick();
  }

  async cancel(opId: string): Promise<void> {
    const job = this.jobs.find((j) => j.rec.opId === opId) ?? this.stuck.get(opId);
    if (!job) {
      if (!this.journal?.byOpId(opId)) this.later(() => this.deliver({ opId, result: 'cancelled' }));
      return; // a finished operation's outcome was already delivered
    }
    job.abort = true;
    if (job.phase === 'vrp' && !job.sent) {
      // Never sent: nothing to abort at the terminal.
      this.jobs = this.jobs.filter((j) => j !== job);
      await this.journal!.put({ ...job.rec, state: 'done', result: 'cancelled', at: Date.now() });
      this.later(() => this.deliver({ opId, result: 'cancelled' }));
      return;
    }
    if (this.link && this.awaiting?.name === 'VRP' && this.awaiting.opNumber === job.rec.opNumber) {
      // 4.4/4.5: ABR while the VRP is outstanding; the terminal still answers the VRP (0 when aborted,
      // or an approval that came too late, which is then reported as approved).
      this.log.info({ device: this.name, opId, opNumber: job.rec.opNumber }, 'VTK: abort requested');
      await this.send({ name: 'ABR' });
    }
  }

  async recover(opId: string): Promise<RecoverResult> {
    const journal = this.journal;
    if (!journal) return 'unknown';
    const rec = journal.byOpId(opId);
    // Never journaled: the VRP is sent only after the journal write, so it never went out.
    if (!rec) return 'cancelled';
    const stuck = this.stuck.get(opId);
    if (stuck) {
      stuck.delivery = 'handler';
      return 'unknown';
    }
    const job = this.jobs.find((j) => j.rec.opId === opId);
    if (!job || job.phase === 'fin' || job.phase === 'deliver') return this.recoverFinished(rec, job?.phase === 'deliver');
    job.delivery = 'recover';
    return new Promise<RecoverResult>((resolve) => {
      job.recoverWaiter = resolve;
      const timer = setTimeout(() => {
        if (job.recoverWaiter !== resolve) return;
        // Not known in time: the engine keeps the session waiting (PayPoll 1); the outcome comes later
        // through onOutcome.
        job.recoverWaiter = null;
        job.delivery = 'handler';
        this.log.warn({ device: this.name, opId, opNumber: rec.opNumber }, 'VTK: outcome not known yet; will deliver it when the terminal tells');
        resolve('unknown');
      }, this.o.recoverWaitMs);

      if (job.learned) void this.conclude(job);
      else this.kick();
    });
  }

  health(): DeviceHealth {
    const h = (state: DeviceHealth['state'], detail: string): DeviceHealth => ({ name: this.name, kind: 'card', state, detail });
    if (this.journalError) return h('fault', `journal unusable: ${this.journalError}`);
    if (!this.started) return h('offline', 'stopped');
    const stuck = [...this.stuck.values()][0];
    if (stuck) return h('fault', `operation ${stuck.rec.opNumber} (${stuck.rec.opId}): outcome can no longer be learned from the terminal; settle by hand`);
    // A session waits for this outcome: no new offers until it is known (the engine reads 'degraded').
    const unsure = this.jobs.find((j) => j.phase === 'resolve' && (j.delivery === 'handler' || j.delivery === 'recover'));
    if (unsure) return h('degraded', `operation ${unsure.rec.opNumber}: outcome unknown, asking the terminal${this.active ? '' : ' (terminal not answering)'}`);
    if (!this.link || !this.active) return h('offline', `no answer from the terminal at ${this.link?.description ?? 'link'}${this.lastLinkError ? `: ${this.lastLinkError}` : ''}`);
    // Operations left from before a restart that no session claimed do not stop a new offer: it settles
    // them first (startPayment).
    const leftover = this.jobs.find((j) => j.delivery === 'unclaimed' || j.delivery === 'orphan');
    if (leftover) return h('ok', `settling operation ${leftover.rec.opNumber} from before the restart`);
    const busy = this.jobs[0];
    if (busy) return h('ok', `${busy.phase === 'fin' ? 'finishing' : 'authorising'} operation ${busy.rec.opNumber} for ${busy.rec.amount}`);
    return h('ok', `idle${this.dropped ? ` (${this.dropped} garbled frames dropped)` : ''}`);
  }

  // ---------------------------------------------------------------- operator

  /**
   * For an operation whose outcome the terminal can no longer tell: a person who checked the terminal's
   * or the bank's journal settles it. No FIN is sent (the terminal has moved on).
   */
  async settleByHand(opId: string, result: 'approved' | 'declined', ref = 'settled by hand'): Promise<void> {
    const journal = this.requireJournal();
    const job = this.stuck.get(opId) ?? this.jobs.find((j) => j.rec.opId === opId);
    const rec = job?.rec ?? journal.byOpId(opId);
    if (!rec || rec.state === 'done') throw new PayPointError(ErrorCode.DeviceNotReady, `VTK: no open operation ${opId}`, { opId });
    this.stuck.delete(opId);
    this.jobs = this.jobs.filter((j) => j.rec.opId !== opId);
    await journal.put({ ...rec, state: 'done', result: 'settled-by-hand', reason: result, at: Date.now() });
    this.log.warn({ device: this.name, opId, opNumber: rec.opNumber, result }, 'VTK: operation settled by hand');
    await this.deliver(result === 'approved' ? { opId, result, amount: rec.amount, ref } : { opId, result, reason: 'settled by hand' });
  }

  // ---------------------------------------------------------------- link

  private async connect(): Promise<void> {
    if (!this.started || this.link || this.connecting) return;
    this.connecting = true;
    let link: ByteLink;
    try {
      link = await this.o.open();
    } catch (e) {
      this.connecting = false;
      const msg = (e as Error).message;
      if (msg !== this.lastLinkError) this.log.warn({ device: this.name, err: { message: msg } }, 'VTK: cannot open the link; retrying');
      this.lastLinkError = msg;
      this.scheduleReconnect();
      return;
    }
    this.connecting = false;
    if (!this.started) {
      await link.close().catch(() => undefined);
      return;
    }
    const gen = ++this.linkGen;
    this.link = link;
    this.lastLinkError = null;
    this.deframer.reset();
    this.active = false;
    this.posOpNumber = null;
    this.awaiting = null;
    this.lastRxAt = mono();
    link.onData((chunk) => {
      if (gen === this.linkGen) this.onChunk(chunk);
    });
    link.onClose((err) => {
      if (gen === this.linkGen) this.goInactive(`link closed${err ? `: ${err.message}` : ''}`);
    });
    this.log.info({ device: this.name, link: link.description }, 'VTK: link open');
    // 4.1: from the INACTIVE state the VMC starts sending IDL.
    await this.sendIdl();
  }

  private scheduleReconnect(): void {
    if (!this.started || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.connect();
    }, this.o.reconnectMs);

  }

  private dropLink(): ByteLink | null {
    const l = this.link;
    this.link = null;
    this.linkGen++;
    this.active = false;
    this.awaiting = null;
    this.posOpNumber = null;
    return l;
  }

  /**
   * 3.5/3.6: on link loss or an operation timeout the VMC moves to INACTIVE, restores the default
   * keep-alive and timeout, and (TCP) closes the connection. A VRP that may have reached the terminal
   * turns into a question about its outcome.
   */
  private goInactive(reason: string): void {
    if (!this.link) return;
    this.log.warn({ device: this.name, reason, link: this.link.description }, 'VTK: terminal link inactive');
    this.lastLinkError = reason;
    this.keepaliveMs = this.o.keepaliveMs;
    this.opTimeoutMs = this.o.opTimeoutMs;
    for (const j of this.jobs) if (j.phase === 'vrp' && j.sent) j.phase = 'resolve';
    const l = this.dropLink();
    void l?.close().catch(() => undefined);
    this.scheduleReconnect();
  }

  private tick(): void {
    if (!this.started) return;
    const now = mono();
    for (const j of this.jobs) {
      if (j.delivery === 'unclaimed' && now - j.createdAt >= this.o.orphanGraceMs) this.orphan(j);
    }
    if (!this.link) return;
    if (this.awaiting) {
      if (now - this.awaiting.since >= this.opTimeoutMs) this.goInactive(`no ${this.awaiting.name} answer within ${this.opTimeoutMs} ms (VTK 3.6)`);
      return;
    }
    if (now - this.lastRxAt >= 3 * this.keepaliveMs + this.o.linkSlackMs) {
      this.goInactive(`nothing received for 3*${this.keepaliveMs} + ${this.o.linkSlackMs} ms (VTK 3.5)`);
      return;
    }
    if (now - this.lastIdlAt >= this.keepaliveMs) void this.sendIdl();
  }

  private async send(m: VtkMessage): Promise<boolean> {
    const link = this.link;
    if (!link) return false;
    try {
      await link.write(encodeFrame(this.o.framing, VtkDiscriminator.FromVmc, encodeMessage(m)));
      this.log.debug({ device: this.name, tx: describeMessage(m) }, 'VTK: sent');
      return true;
    } catch (e) {
      if (link === this.link) this.goInactive(`write failed: ${(e as Error).message}`);
      return false;
    }
  }

  private async sendIdl(): Promise<void> {
    this.lastIdlAt = mono();
    await this.send({ name: 'IDL' });
  }

  private onChunk(chunk: Buffer): void {
    for (const ev of this.deframer.push(chunk, mono())) {
      if (ev.kind === 'dropped') {
        this.dropped++;
        this.log.debug({ device: this.name, reason: ev.reason, bytes: ev.bytes }, 'VTK: bytes dropped');
        if (ev.fatal) return this.goInactive('TCP stream out of step (impossible length)');
        continue;
      }
      if (ev.discriminator !== VtkDiscriminator.FromPos) continue; // NFCReader frames, or our own echo
      let m: VtkMessage;
      try {
        m = decodeMessage(ev.message);
      } catch (e) {
        this.dropped++;
        this.log.warn({ device: this.name, err: { message: (e as Error).message } }, 'VTK: malformed message ignored');
        continue;
      }
      this.onMessage(m);
    }
  }

  private onMessage(m: VtkMessage): void {
    this.lastRxAt = mono();
    this.log.debug({ device: this.name, rx: describeMessage(m) }, 'VTK: received');
    if (this.o.honourTerminalTimers) {
      // 3.5/3.6: any non-zero value from any message is taken; zero is prohibited and ignored.
      if (m.keepaliveS) this.keepaliveMs = m.keepaliveS * 1000;
      if (m.opTimeoutS) this.opTimeoutMs = m.opTimeoutS * 1000;
    }
    if (!this.active) {
      this.active = true;
      this.log.info({ device: this.name, link: this.link?.description, posOpNumber: m.opNumber ?? null }, 'VTK: terminal answering');
    }
    switch (m.name) {
      case 'IDL':
      case 'DIS':
        if (m.opNumber !== undefined) this.posOpNumber = m.opNumber;
        break;
      case 'VRP':
        this.onVrpAnswer(m);
        break;
      case 'FIN':
        this.onFinAnswer(m);
        break;
      case 'CON':
        // 3.11: this kiosk offers no TCP connection service; "no service" lets the terminal use its own.
        void this.send({ name: 'CON', tcpDestination: conNoService(m.tcpDestination) });
        break;
      case 'DAT':
      case 'DSC':
        void this.send({ name: 'DSC', tcpDestination: Buffer.from([m.tcpDestination?.[0] ?? 0]) });
        break;
      default:
        break; // STA, MFR, CDP and names from later versions: nothing for the kiosk to do
    }
    this.kick();
  }

  // ---------------------------------------------------------------- operations

  /** Sends what the head operation needs next, if the link can take it. */
  private kick(): void {
    if (!this.link || !this.active || this.awaiting) return;
    const job = this.jobs[0];
    if (!job) return;
    const op = job.rec.opNumber;
    switch (job.phase) {
      case 'vrp':
        this.sendVrp(job);
        return;
      case 'resolve': {
        if (job.learned) return; // waiting for its owner (conclude() runs when it is known)
        if (this.posOpNumber === null) return; // the next IDL answer tells
        if (this.posOpNumber < op) {
          // 3.3: the POS saves the number of every VRP it receives; a lower one means ours never arrived.
          job.learned = { kind: 'never-sent' };
          void this.conclude(job);
        } else if (this.posOpNumber === op) {
          // 3.3: a repeated VRP with the same number returns the previous result.
          this.log.info({ device: this.name, opId: job.rec.opId, opNumber: op }, 'VTK: asking the terminal for the outcome (repeated VRP)');
          this.sendVrp(job);
        } else {
          this.markStuck(job, this.posOpNumber);
        }
        return;
      }
      case 'fin':
        this.awaiting = { name: 'FIN', opNumber: op, since: mono() };
        void this.send({ name: 'FIN', opNumber: op, amount: job.rec.finAmount ?? 0 });
        return;
      case 'deliver':
        return;
    }
  }

  private sendVrp(job: Job): void {
    const op = job.rec.opNumber;
    job.sent = true;
    this.awaiting = { name: 'VRP', opNumber: op, since: mono() };
    this.posOpNumber = op; // the POS stores it on receipt (3.3)
    void this.send({ name: 'VRP', opNumber: op, amount: job.rec.amount, productName: this.o.productName }).then((ok) => {
      if (ok && job.abort && this.awaiting?.opNumber === op) void this.send({ name: 'ABR' });
    });
  }

  private onVrpAnswer(m: VtkMessage): void {
    const job = this.jobs[0];
    if (!job || m.opNumber !== job.rec.opNumber || !(job.phase === 'vrp' || job.phase === 'resolve') || job.learned) {
      this.log.warn({ device: this.name, rx: describeMessage(m) }, 'VTK: VRP answer for no operation waiting; ignored');
      return;
    }
    if (m.amount === undefined) {
      this.log.warn({ device: this.name, rx: describeMessage(m) }, 'VTK: VRP answer without an amount; ignored');
      return;
    }
    if (this.awaiting?.name === 'VRP') this.awaiting = null;
    job.learned = { kind: 'answer', amount: m.amount, receipt: m.receipt };
    void this.conclude(job);
  }

  private onFinAnswer(m: VtkMessage): void {
    const job = this.jobs[0];
    if (!job || job.phase !== 'fin' || m.opNumber !== job.rec.opNumber) {
      this.log.warn({ device: this.name, rx: describeMessage(m) }, 'VTK: FIN answer for no FIN waiting; ignored');
      return;
    }
    if (this.awaiting?.name === 'FIN') this.awaiting = null;
    const fin = job.rec.finAmount ?? 0;
    // 3.4: the finalisation is approved when the FIN answer carries the FIN request's amount.
    if (m.amount !== fin) this.log.error({ device: this.name, opId: job.rec.opId, opNumber: job.rec.opNumber, sent: fin, answered: m.amount ?? null }, 'VTK: terminal declined the FIN');
    else this.log.info({ device: this.name, opId: job.rec.opId, opNumber: job.rec.opNumber, amount: fin }, 'VTK: operation finalised');
    this.jobs = this.jobs.filter((j) => j !== job);
    void this.journal!.put({ ...job.rec, state: 'done', result: fin > 0 ? 'approved' : 'reversed', at: Date.now() })
      .catch((e) => this.log.error({ device: this.name, err: { message: (e as Error).message } }, 'VTK: journal write failed'))
      .then(() => this.afterOperation());
  }

  /** 3.2: after a decline, or a FIN answer, the VMC sends IDL at once. */
  private afterOperation(): void {
    void this.sendIdl().then(() => this.kick());
  }

  /** What the terminal said, as the engine's outcome. */
  private outcomeOf(job: Job): CardOutcome & { partial?: number } {
    const { opId, amount, opNumber } = job.rec;
    const l = job.learned!;
    if (l.kind === 'never-sent') return { opId, result: 'cancelled' };
    if (l.amount === amount) return { opId, result: 'approved', amount, ref: rrnOf(l.receipt) ?? `VTK-${opNumber}` };
    if (l.amount !== 0) return { opId, result: 'declined', reason: `terminal approved ${l.amount} instead of ${amount}; reversed`, partial: l.amount };
    if (job.abort) return { opId, result: 'cancelled' };
    const code = l.receipt?.match(/RESPONSE CODE:\s*(\S+)/)?.[1];
    return { opId, result: 'declined', reason: code ? `declined by the card terminal (response code ${code})` : 'declined by the card terminal' };
  }

  /** Acts on a learned outcome according to who is waiting for it. */
  private async conclude(job: Job): Promise<void> {
    if (!job.learned || job.concluded) return;
    if (job.delivery === 'unclaimed') return; // recover() or the orphan grace decides
    job.concluded = true; // once: a VRP answer and a recover() call may both get here
    const out = this.outcomeOf(job);
    const journal = this.journal!;
    const log = { device: this.name, opId: job.rec.opId, opNumber: job.rec.opNumber, result: out.result };

    if (out.partial !== undefined) {
      // 3.4: FIN 0 means the vend failed; the terminal gives the money back.
      await this.owe(job, 0, 'reversed');
    }

    if (out.result !== 'approved') {
      if (out.partial === undefined) {
        this.jobs = this.jobs.filter((j) => j !== job);
        await journal.put({ ...job.rec, state: 'done', result: out.result as VtkOpResult, reason: out.result === 'declined' ? out.reason : undefined, at: Date.now() });
        this.afterOperation();
      }
      this.log.info(log, 'VTK: operation ended without payment');
      if (job.delivery === 'recover') this.answerRecover(job, out.result);
      else if (job.delivery === 'handler') await this.deliver(out);
      return;
    }

    if (job.delivery === 'orphan') {
      // No session waits for it: the engine stored this approval before the restart (header). FIN it.
      this.log.warn(log, 'VTK: approval of a finished session found at start; sending its FIN');
      await this.owe(job, out.amount, 'approved');
      return;
    }
    this.log.info(log, 'VTK: approved');
    this.answerRecover(job, 'approved');
    job.phase = 'deliver';
    // Acknowledgement rule: FIN (the amount sold) only once the engine has stored the approval.
    const stored = await this.deliver(out);
    await this.owe(job, stored ? out.amount : 0, stored ? 'approved' : 'reversed');
  }

  /** Journals that a FIN of `finAmount` is owed, then sends it. */
  private async owe(job: Job, finAmount: number, result: VtkOpResult): Promise<void> {
    job.rec = { ...job.rec, state: 'finishing', finAmount, result, at: Date.now() };
    await this.journal!.put(job.rec);
    job.phase = 'fin';
    this.kick();
  }

  /** No session claimed this operation from before the restart: settle it with the terminal alone. */
  private orphan(job: Job): void {
    job.delivery = 'orphan';
    if (job.learned) void this.conclude(job);
  }

  private markStuck(job: Job, posOp: number): void {
    this.jobs = this.jobs.filter((j) => j !== job);
    this.log.error(
      { device: this.name, opId: job.rec.opId, opNumber: job.rec.opNumber, terminalOpNumber: posOp },
      'VTK: the terminal has moved past this operation; its outcome cannot be learned (settle by hand)',
    );
    if (job.delivery === 'orphan' || job.delivery === 'unclaimed') {
      // No session waits for it (or none has claimed it): keep the record, flagged, and move on.
      void this.journal!.put({ ...job.rec, state: 'done', result: 'unresolvable', at: Date.now() });
      this.kick();
      return;
    }
    this.stuck.set(job.rec.opId, job);
    this.answerRecover(job, 'unknown');
    job.delivery = 'handler';
    this.kick();
  }

  private answerRecover(job: Job, r: RecoverResult): void {
    const w = job.recoverWaiter;
    job.recoverWaiter = null;
    if (w) {
      if (r !== 'unknown' && r !== 'approved') job.delivery = 'orphan';
      else job.delivery = 'handler';
      w(r);
    }
  }

  /** recover() for an operation whose outcome is known (journal: finishing or done). */
  private recoverFinished(rec: VtkOpRecord, beingDelivered: boolean): RecoverResult {
    if (beingDelivered) return 'approved'; // the handler is being called with it right now
    switch (rec.result) {
      case 'approved':
        this.redeliver(rec);
        return 'approved';
      case 'declined':
        return 'declined';
      case 'unresolvable': {
        const job = newJob(rec, 'resolve', 'handler', mono(), true);
        this.stuck.set(rec.opId, job);
        return 'unknown';
      }
      case 'settled-by-hand':
        this.redeliver(rec);
        return rec.reason === 'approved' ? 'approved' : 'declined';
      default:
        return 'cancelled'; // cancelled, or reversed by a FIN 0
    }
  }

  /** Tells the engine again what the journal says about a finished operation. */
  private redeliver(rec: VtkOpRecord): void {
    const { opId } = rec;
    const approved = rec.result === 'approved' || (rec.result === 'settled-by-hand' && rec.reason === 'approved');
    const out: CardOutcome = approved
      ? { opId, result: 'approved', amount: rec.amount, ref: rec.ref ?? `VTK-${rec.opNumber}` }
      : rec.result === 'declined'
        ? { opId, result: 'declined', reason: rec.reason ?? 'declined by the card terminal' }
        : { opId, result: 'cancelled' };
    this.later(() => this.deliver(out));
  }

  /** Calls the engine's handler; true once the outcome is stored. */
  private async deliver(out: CardOutcome): Promise<boolean> {
    if (!this.handler) {
      this.log.error({ device: this.name, opId: out.opId }, 'VTK: no outcome handler');
      return false;
    }
    try {
      await this.handler(out);
      return true;
    } catch (e) {
      this.log.error({ device: this.name, opId: out.opId, result: out.result, err: { message: (e as Error).message } }, 'VTK: outcome not stored by the engine');
      return false;
    }
  }

  private later(fn: () => Promise<unknown>): void {
    setImmediate(() => void fn().catch(() => undefined));
  }

  private requireJournal(): VtkOpJournal {
    if (!this.journal) throw new PayPointError(ErrorCode.DeviceNotReady, `VTK card reader ${this.name} is not running`, { device: this.name, journal: this.journalError });
    return this.journal;
  }

  // ---------------------------------------------------------------- test and status helpers

  /** The operation number the driver gave `opId`, if any (for tests and the status page). */
  opNumberOf(opId: string): number | null {
    return this.journal?.byOpId(opId)?.opNumber ?? null;
  }
}

function newJob(rec: VtkOpRecord, phase: Phase, delivery: Delivery, now: number, sent: boolean): Job {
  return { rec, phase, delivery, sent, abort: false, learned: null, recoverWaiter: null, concluded: false, createdAt: now };
}

/** 3.11: a CON answer with the POS's destination and connection status 0x00 (no service). */
function conNoService(dest: Buffer | undefined): Buffer {
  const out = Buffer.alloc(8);
  if (dest) dest.copy(out, 0, 0, Math.min(7, dest.length));
  out[7] = 0x00;
  return out;
}

/** The bank's retrieval reference number from a receipt (3.19), e.g. "RRN:028810000045". */
function rrnOf(receipt: string | undefined): string | undefined {
  return receipt?.match(/RRN:\s*(\w+)/)?.[1];
}

function mono(): number {
  return performance.now();
}
