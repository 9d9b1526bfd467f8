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
 * the same number with its previous result: that makes retries idempotent and is how a lost outcome is
 * settled.
 *
 * Three parts, put together here: the link session (vtk-link-session.ts: framing, keep-alive, timeouts,
 * reconnection), the operation machine (vtk-operations.ts: offers, outcomes, FIN) and recovery
 * (vtk-recovery.ts: operations open at start, recover(), settling by hand).
 */
import type { VtkFraming } from '../../codecs/vtk/frame.js';
import type { CardOutcome, CardReader, DeviceHealth } from '../interfaces.js';
import type { LinkOpener } from './byte-link.js';
import { VtkLinkSession } from './vtk-link-session.js';
import { describeOpenFault } from '../late/reopen.js';
import { mono, noLog, type VtkLog } from './vtk-log.js';
import { VtkOpJournal } from './vtk-op-journal.js';
import { VtkOperations, type RecoverResult } from './vtk-operations.js';
import { recover, resumeOpenOperations, settleByHand } from './vtk-recovery.js';

export type { VtkLog } from './vtk-log.js';

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
  /** A link that cannot be opened is tried again after reconnectMs, doubling up to this. Default 60 000 ms. */
  maxReconnectMs?: number;
  /** The terminal's path or host:port, named in the fault when the link cannot be opened. Default 'the terminal'. */
  target?: string;
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
  /** Serial: the device path, watched while the link is down so a replugged adapter is tried at once. */
  watchPath?: string;
}

export class VtkCardReader implements CardReader {
  readonly name: string;
  private readonly o: Required<Omit<VtkCardReaderOptions, 'productName' | 'log' | 'name' | 'watchPath'>> & { productName?: string; watchPath?: string };
  private readonly log: VtkLog;
  private started = false;
  private ticker: NodeJS.Timeout | null = null;
  private readonly link: VtkLinkSession;
  private readonly ops: VtkOperations;

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
      maxReconnectMs: opts.maxReconnectMs ?? 60_000,
      target: opts.target ?? 'the terminal',
      recoverWaitMs: opts.recoverWaitMs ?? 5_000,
      orphanGraceMs: opts.orphanGraceMs ?? 60_000,
      honourTerminalTimers: opts.honourTerminalTimers ?? true,
      watchPath: opts.watchPath,
    };
    this.link = new VtkLinkSession({ ...this.o, name: this.name }, this.log, {
      onAnswer: (m) => this.ops.onAnswer(m),
      onInactive: () => this.ops.onInactive(),
      onReady: () => this.ops.kick(),
      busy: () => this.ops.jobs.length > 0,
    });
    this.ops = new VtkOperations(this.name, this.o.productName, this.log, this.link);
  }

  // ---------------------------------------------------------------- CardReader

  onOutcome(handler: (o: CardOutcome) => Promise<void>): void {
    this.ops.handler = handler;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    try {
      this.ops.journal = await VtkOpJournal.open(this.o.journalPath);
    } catch (e) {
      this.ops.journalError = (e as Error).message;
      this.log.error({ device: this.name, err: { message: this.ops.journalError } }, 'VTK: journal unusable; card payments disabled');
      return;
    }
    resumeOpenOperations(this.ops, this.name, this.log);
    const tickMs = Math.max(10, Math.min(250, Math.floor(this.o.keepaliveMs / 4)));
    // Not unref()d: a started driver is a live component; stop() clears it.
    this.ticker = setInterval(() => this.tick(), tickMs);
    this.link.start();
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
    for (const j of [...this.ops.jobs, ...this.ops.stuck.values()]) this.ops.answerRecover(j, 'unknown');
    await this.link.stop();
    // Operations in flight stay in the journal; the next start asks the terminal about them.
    await this.ops.journal?.flush();
  }

  startPayment(opId: string, amount: number): Promise<void> {
    return this.ops.startPayment(opId, amount);
  }

  cancel(opId: string): Promise<void> {
    return this.ops.cancel(opId);
  }

  recover(opId: string): Promise<RecoverResult> {
    return recover(this.ops, opId, this.o.recoverWaitMs, this.name, this.log);
  }

  health(): DeviceHealth {
    const h = (state: DeviceHealth['state'], detail: string): DeviceHealth => ({ name: this.name, kind: 'card', state, detail });
    if (this.ops.journalError) return h('fault', `journal unusable: ${this.ops.journalError}`);
    if (!this.started) return h('offline', 'stopped');
    const stuck = [...this.ops.stuck.values()][0];
    if (stuck) return h('fault', `operation ${stuck.rec.opNumber} (${stuck.rec.opId}): outcome can no longer be learned from the terminal; settle by hand`);
    // A session waits for this outcome: no new offers until it is known (the engine reads 'degraded').
    const jobs = this.ops.jobs;
    const unsure = jobs.find((j) => j.phase === 'resolve' && (j.delivery === 'handler' || j.delivery === 'recover'));
    if (unsure) return h('degraded', `operation ${unsure.rec.opNumber}: outcome unknown, asking the terminal${this.link.ready ? '' : ' (terminal not answering)'}`);
    const fault = this.link.openFault;
    if (!this.link.open && fault) return { ...h('fault', describeOpenFault(fault)), code: fault.error.code };
    if (!this.link.ready) return h('offline', `no answer from the terminal at ${this.link.description ?? 'link'}${this.link.lastLinkError ? `: ${this.link.lastLinkError}` : ''}`);
    // Operations left from before a restart that no session claimed do not stop a new offer: it settles
    // them first (startPayment).
    const leftover = jobs.find((j) => j.delivery === 'unclaimed' || j.delivery === 'orphan');
    if (leftover) return h('ok', `settling operation ${leftover.rec.opNumber} from before the restart`);
    const busy = jobs[0];
    if (busy) return h('ok', `${busy.phase === 'fin' ? 'finishing' : 'authorising'} operation ${busy.rec.opNumber} for ${busy.rec.amount}`);
    const late = this.ops.lastLate;
    const lateNote = late ? `; approval of ${late.lateAmount} for withdrawn operation ${late.opNumber} (${late.opId}) reversed with FIN 0` : '';
    return h('ok', `idle${this.link.dropped ? ` (${this.link.dropped} garbled frames dropped)` : ''}${lateNote}`);
  }

  // ---------------------------------------------------------------- operator

  /** See vtk-recovery.ts settleByHand. */
  settleByHand(opId: string, result: 'approved' | 'declined', ref = 'settled by hand'): Promise<void> {
    return settleByHand(this.ops, opId, result, ref, this.name, this.log);
  }

  private tick(): void {
    if (!this.started) return;
    const now = mono();
    this.ops.tick(now, this.o.orphanGraceMs);
    this.link.tick(now);
  }

  // ---------------------------------------------------------------- test and status helpers

  /** Late approvals finalised as vending failure (FIN 0) that the journal keeps, for the operator. */
  lateReversed(): Array<{ opId: string; opNumber: number; amount: number; at: number; ref?: string }> {
    return (this.ops.journal?.lateReversed() ?? []).map((r) => ({ opId: r.opId, opNumber: r.opNumber, amount: r.lateAmount ?? r.amount, at: r.at, ref: r.ref }));
  }

  /** The operation number the driver gave `opId`, if any (for tests and the status page). */
  opNumberOf(opId: string): number | null {
    return this.ops.journal?.byOpId(opId)?.opNumber ?? null;
  }
}
