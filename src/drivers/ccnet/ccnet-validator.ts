/**
 * CashCode bill validator on CCNET (README.md, "Cash hardware"), the controller side: implements CashAcceptor
 * (kind 'bill').
 *
 * Cycle: RESET after power-up (CCNET: a validator reporting POWER UP waits for RESET), POLL until
 * UNIT DISABLED, GET BILL TABLE, then ENABLE BILL TYPES with the enable and escrow masks whenever the
 * payment domain opens or closes the acceptor. POLL every `pollIntervalMs`; every POLL answer that
 * carries data is acknowledged with ACK (CCNET "Acknowledgement"), and a validator repeats an event until
 * it is acknowledged.
 *
 * Money rules:
 * - ESCROW: the domain's onEscrow handler decides STACK or RETURN (HOLD is sent while it thinks, since
 *   a validator returns a bill left in escrow for ~10 s). No handler, an error, an unknown value or a
 *   closed acceptor: RETURN (the customer keeps the bill).
 * - Credit ONLY on STACKED. The credit handler is awaited before the STACKED answer is ACKed
 *   (acknowledgement rule, interfaces.ts): if it fails, no ACK is sent, the validator repeats STACKED on
 *   the next POLL and the credit is retried with the same `ref`.
 * - A STACKED repeated right after a credited one, with no other status in between, is the same bill
 *   (our ACK was lost on the line): it is ACKed again, never credited twice.
 * - POWER UP WITH BILL IN STACKER: the bill went to the cassette while we were not listening; it is
 *   logged as an error for the technician and never credited (no STACKED event was seen).
 *
 * The serial port lost while running (a USB-serial adapter unplugged):
 * README.md, "Devices that cannot be opened". The driver stops talking, health is faulted with error
 * 506 and the path, and the port is reopened on the start-up backoff (relink.ts). When it opens, the
 * driver starts over as start() does: probe POLLs first (an event the validator kept meanwhile is
 * handled before any RESET: CCNET "Acknowledgement", a STACKED or RETURNED is repeated until ACKed; a
 * bill still in escrow, POLL status 80H, is decided again), then RESET, the bill table read
 * again (another validator may have been plugged in), and ENABLE BILL TYPES with what the payment
 * session wants now. What was credited stays credited; the repeat guard survives the loss, so a
 * STACKED whose ACK went down with the link is not credited twice. A validator that lost power
 * meanwhile reports POWER UP (POLL status 10H-12H) and is reset like at start.
 */
import { ACK, Command, ILLEGAL_COMMAND, NAK, enableBillTypesRequest } from '../../codecs/ccnet/commands.js';
import { ADDRESS_BILL_VALIDATOR } from '../../codecs/ccnet/frame.js';
import { decodePoll, type PollStatus } from '../../codecs/ccnet/poll-status.js';
import { decodeBillTable, type BillTypeEntry } from '../../codecs/ccnet/bill-table.js';
import type { SerialLink } from '../../transports/serial/serial-port.js';
import type { CashAcceptor, CashCredit, DeviceHealth, EscrowDecision } from '../interfaces.js';
import { nullLog, type DriverLog } from '../driver-log.js';
import { CcnetLine } from './ccnet-line.js';
import { CcnetBills } from './ccnet-bills.js';
import { SerialRelink } from '../late/relink.js';
import { describeOpenFault, type BackoffOptions } from '../late/reopen.js';

export interface CcnetValidatorOptions {
  name?: string;
  link: SerialLink;
  /** CCNET peripheral address; 0x03 for bill validators. */
  address?: number;
  /** Delay between POLLs, ms (CCNET recommends 100-200). */
  pollIntervalMs?: number;
  /** How long to wait for an answer, ms. A 125-byte bill table takes ~130 ms at 9600 baud. */
  responseTimeoutMs?: number;
  /** Retries of a command (not POLL) after a timeout, NAK or bad frame. */
  retries?: number;
  /** Consecutive unanswered POLLs after which the validator is reported offline. */
  silentAfterPolls?: number;
  /** HOLD is sent this often while the escrow decision is pending (validator escrow timeout ~10 s). */
  holdIntervalMs?: number;
  /** Values (kopecks) to accept; others are not enabled. Default: every bill in the validator's table. */
  acceptValues?: number[] | null;
  /** Only bill table entries of this country code are used (CashCode reports 'RUS' for roubles); null: any. */
  country?: string | null;
  /** Reopening a lost port: the start-up backoff (devices.open_retry_s, open_retry_max_s). */
  reopen?: BackoffOptions;
  log?: DriverLog;
}

/**
 * probe: first POLLs after start, before any RESET, so that a power-up condition is seen and an event
 * left unacknowledged before a daemon restart (a STACKED bill) is still credited; reset: send RESET;
 * initialising: wait for UNIT DISABLED, read the bill table; ready: normal polling; unlinked: the serial
 * port was lost and is being reopened (nothing is sent).
 */
type Phase = 'stopped' | 'probe' | 'reset' | 'initialising' | 'ready' | 'unlinked';

/** States in which a bill is moving: the probe lets them finish before resetting. */
const IN_TRANSIT = new Set<PollStatus['kind']>(['accepting', 'stacking', 'returning', 'escrow', 'stacked', 'returned', 'holding', 'busy', 'pause']);

export class CcnetBillValidator implements CashAcceptor {
  readonly name: string;
  readonly kind = 'bill' as const;
  private readonly link: SerialLink;
  private readonly address: number;
  private readonly pollIntervalMs: number;
  private readonly silentAfterPolls: number;
  private readonly holdIntervalMs: number;
  private readonly bills: CcnetBills;
  private readonly log: DriverLog;
  private readonly line: CcnetLine;
  private readonly relink: SerialRelink;

  private creditHandler: ((c: CashCredit) => Promise<void>) | null = null;
  private escrowHandler: ((value: number) => Promise<EscrowDecision>) | null = null;
  private wantEnabled = false;
  /** Which values the domain leaves open in this payment (null: all usable ones). */
  private accepts: ((value: number) => boolean) | null = null;
  private sentEnable: { enabled: boolean; at: number } | null = null;
  private phase: Phase = 'stopped';
  private missed = 0;
  private lastStatus: PollStatus | null = null;
  private lastEvent = '';
  private escrowDecided = false;
  /** The value of a bill sent to the stacker (STACK acknowledged) whose STACKED or RETURNED is not seen yet. */
  private stackSent: number | null = null;
  private creditedRepeatGuard: number | null = null;
  private creditSeq = 0;
  private readonly bootId = Date.now().toString(36);
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private wakeTimer: NodeJS.Timeout | null = null;

  constructor(options: CcnetValidatorOptions) {
    this.name = options.name ?? 'bill-validator';
    this.link = options.link;
    this.address = options.address ?? ADDRESS_BILL_VALIDATOR;
    this.pollIntervalMs = options.pollIntervalMs ?? 150;
    this.silentAfterPolls = options.silentAfterPolls ?? 5;
    this.holdIntervalMs = options.holdIntervalMs ?? 5_000;
    this.bills = new CcnetBills(options.acceptValues ?? null, options.country ?? null);
    this.log = options.log ?? nullLog;
    this.line = new CcnetLine({
      name: this.name,
      link: this.link,
      address: this.address,
      responseTimeoutMs: options.responseTimeoutMs ?? 300,
      retries: options.retries ?? 2,
      log: this.log,
    });
    this.relink = new SerialRelink({
      name: this.name,
      link: this.link,
      backoff: options.reopen,
      log: this.log,
      onLost: () => this.unlinked(),
      onBack: () => this.relinked(),
    });
  }

  denominations(): number[] {
    return this.bills.denominations();
  }

  /** The validator's bill table as last read (null before). */
  billTable(): BillTypeEntry[] | null {
    return this.bills.table;
  }

  onCredit(handler: (credit: CashCredit) => Promise<void>): void {
    this.creditHandler = handler;
  }

  onEscrow(handler: (value: number) => Promise<EscrowDecision>): void {
    this.escrowHandler = handler;
  }

  async setAccepted(accepts: ((value: number) => boolean) | null): Promise<void> {
    this.accepts = accepts;
    if (this.phase === 'ready') await this.applyEnable().catch((e) => this.log.warn({ device: this.name, err: String(e) }, 'ccnet: enable not applied yet'));
  }

  async setEnabled(enabled: boolean): Promise<void> {
    this.wantEnabled = enabled;
    // Applied now if the validator is ready; otherwise at the end of its initialisation.
    if (this.phase === 'ready') await this.applyEnable().catch((e) => this.log.warn({ device: this.name, err: String(e) }, 'ccnet: enable not applied yet'));
  }

  health(): DeviceHealth {
    const h = (state: DeviceHealth['state'], detail: string): DeviceHealth => ({ name: this.name, kind: 'bill', state, detail });
    if (this.phase === 'stopped') return h('offline', 'stopped');
    const lost = this.relink.fault();
    if (lost) return { ...h('fault', describeOpenFault(lost)), code: lost.error.code };
    if (this.missed >= this.silentAfterPolls) return h('offline', `no answer from the validator on ${this.link.path}`);
    const s = this.lastStatus;
    if (!s || this.phase !== 'ready') return h('degraded', 'initialising');
    switch (s.kind) {
      case 'jam': return h('fault', s.where === 'validator' ? 'bill jammed in the validator' : 'bill jammed in the stacker');
      case 'cassette-out': return h('fault', 'drop cassette removed');
      case 'cassette-full': return h('fault', 'drop cassette full');
      case 'failure': return h('fault', `failure: ${s.reason}`);
      case 'cheated': return h('degraded', 'cheat attempt detected');
      case 'pause': return h('degraded', 'paused: bill being pulled back');
      default: return h('ok', this.wantEnabled ? `accepting${this.lastEvent ? `; last: ${this.lastEvent}` : ''}` : 'inhibited');
    }
  }

  async start(): Promise<void> {
    if (this.phase !== 'stopped') return;
    this.link.onData((chunk) => this.line.push(chunk));
    await this.relink.open();
    this.phase = 'probe';
    this.missed = 0;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    if (this.phase === 'stopped') return;
    const wasReady = this.phase === 'ready';
    this.phase = 'stopped';
    this.wakeUp();
    await this.loop;
    this.loop = null;
    await this.relink.stop();
    // Close the validator so it takes nothing while nobody is listening.
    if (wasReady) await this.line.command(enableBillTypesRequest(0, 0)).catch(() => undefined);
    await this.link.close();
  }

  // ---- the polling loop -------------------------------------------------------------------------

  private async run(): Promise<void> {
    while (this.phase !== 'stopped') {
      if (this.phase === 'unlinked') {
        // Nothing to talk to: woken by relinked() or stop().
        await this.sleep(60_000);
        continue;
      }
      try {
        if (this.phase === 'reset') await this.reset();
        else await this.pollOnce();
        if (this.phase === 'probe' && this.missed === 0 && this.lastStatus && !IN_TRANSIT.has(this.lastStatus.kind)) this.setPhase('reset');
      } catch (e) {
        this.log.error({ device: this.name, err: String(e) }, 'ccnet: poll cycle failed');
      }
      if (this.isStopped()) break;
      await this.sleep(this.pollIntervalMs);
    }
  }

  /** A method, so the compiler does not narrow `phase` across the awaits of the loop (stop() changes it). */
  private isStopped(): boolean {
    return this.phase === 'stopped';
  }

  /** Phase changes from the loop never undo stop(), nor a lost port (only relinked() ends that). */
  private setPhase(p: Exclude<Phase, 'stopped' | 'unlinked'>): void {
    if (this.phase !== 'stopped' && this.phase !== 'unlinked') this.phase = p;
  }

  /** The serial port failed (relink.ts): stop talking; an exchange waiting for an answer ends now. */
  private unlinked(): void {
    if (this.phase === 'stopped') return;
    this.phase = 'unlinked';
    this.line.abort();
  }

  /**
   * The port is open again: start over as start() does (probe POLLs, RESET, bill table, ENABLE BILL
   * TYPES with the current wish). A validator that lost power meanwhile says POWER UP (possibly WITH BILL
   * IN STACKER, handled below: never credited); one that kept power may still hold an event.
   */
  private relinked(): void {
    if (this.phase !== 'unlinked') return;
    this.missed = 0;
    this.lastStatus = null;
    this.sentEnable = null;
    this.escrowDecided = false;
    // Another validator may have been plugged in: its table is read before it values a bill.
    this.bills.stale = true;
    this.phase = 'probe';
    this.wakeUp();
  }

  private async reset(): Promise<void> {
    const answer = await this.line.exchange([Command.Reset]);
    if (!answer) return this.noAnswer();
    this.answered();
    if (answer[0] !== ACK) return;
    this.setPhase('initialising');
    this.sentEnable = null;
    this.log.info({ device: this.name }, 'ccnet: validator reset');
  }

  private async pollOnce(): Promise<void> {
    const answer = await this.line.exchange([Command.Poll]);
    if (!answer) return this.noAnswer();
    this.answered();
    if (answer.length === 1 && (answer[0] === NAK || answer[0] === ILLEGAL_COMMAND)) return;
    const status = decodePoll(answer);
    await this.handle(status);
  }

  private noAnswer(): void {
    this.missed++;
    if (this.missed === this.silentAfterPolls) {
      this.log.error({ device: this.name, path: this.link.path }, 'ccnet: validator not answering');
    }
  }

  private answered(): void {
    this.relink.settled();
    if (this.missed >= this.silentAfterPolls) {
      this.log.info({ device: this.name }, 'ccnet: validator answering again');
      // It may have lost its enable masks meanwhile (it would say POWER UP if it rebooted).
      this.sentEnable = null;
    }
    this.missed = 0;
  }

  private async handle(s: PollStatus): Promise<void> {
    const previous = this.lastStatus;
    this.lastStatus = s;
    if (s.kind !== 'stacked') this.creditedRepeatGuard = null;
    if (s.kind !== 'escrow') this.escrowDecided = false;
    const sentToStacker = this.stackSent;
    if (s.kind === 'stacked' || s.kind === 'returned' || s.kind === 'power-up') this.stackSent = null;
    const changed = !previous || previous.kind !== s.kind;

    if (s.kind === 'stacked') return this.stacked(s.billType);
    await this.line.ack();

    switch (s.kind) {
      case 'power-up':
        if (s.bill === 'stacker') {
          // A bill we sent to the stacker before the validator lost power (or its port was unplugged and
          // it restarted): its value is named for the technician; it is still not credited.
          this.log.error({ device: this.name, value: sentToStacker }, 'ccnet: power-up with a bill in the stacker: it went to the cassette without a STACKED event and is not credited; check the cassette against the session');
        } else if (s.bill === 'validator') {
          this.log.warn({ device: this.name }, 'ccnet: power-up with a bill in the validator: it is returned to the customer on reset');
        } else if (this.phase === 'ready') {
          this.log.warn({ device: this.name }, 'ccnet: validator restarted');
        }
        this.setPhase('reset');
        return;
      case 'disabled':
      case 'idling':
        if (this.phase === 'initialising') await this.finishInitialisation();
        else if (this.phase === 'ready' && this.enableStale(s.kind)) await this.applyEnable();
        return;
      case 'escrow':
        return this.escrow(s.billType);
      case 'returned':
        this.lastEvent = `returned ${this.bills.valueOf(s.billType) ?? `type ${s.billType}`}`;
        this.log.info({ device: this.name, billType: s.billType, value: this.bills.valueOf(s.billType) }, 'ccnet: bill returned');
        return;
      case 'rejecting':
        if (changed) {
          this.lastEvent = `rejected (${s.reason})`;
          this.log.info({ device: this.name, code: s.code, reason: s.reason }, 'ccnet: bill rejected');
        }
        return;
      case 'jam':
      case 'cassette-out':
      case 'cassette-full':
      case 'failure':
      case 'cheated':
        if (changed) this.log.error({ device: this.name, status: s }, 'ccnet: validator fault');
        return;
      case 'unknown':
        if (changed) this.log.warn({ device: this.name, code: s.code, sub: s.sub }, 'ccnet: unknown POLL status');
        return;
      default:
        if (changed && previous && ['jam', 'cassette-out', 'cassette-full', 'failure'].includes(previous.kind)) {
          this.log.info({ device: this.name, status: s.kind }, 'ccnet: validator recovered');
        }
    }
  }

  private async finishInitialisation(): Promise<void> {
    await this.loadTable();
    this.setPhase('ready');
    await this.applyEnable();
  }

  private async loadTable(): Promise<void> {
    if (!this.bills.stale) return;
    const data = await this.line.command([Command.GetBillTable]);
    await this.line.ack();
    if (this.bills.replace(decodeBillTable(data))) this.log.warn({ device: this.name }, 'ccnet: the validator plugged back has another bill table: the new one is used');
    this.log.info({ device: this.name, bills: this.bills.usable().map((e) => e.value) }, 'ccnet: bill table read');
  }

  /** The validator says it is closed while it should be open, or the reverse, and we did not just tell it. */
  private enableStale(kind: 'disabled' | 'idling'): boolean {
    const open = kind === 'idling';
    // Open with every bill type narrowed away is closed: the validator says UNIT DISABLED then.
    const want = this.wantMask() !== 0;
    if (open === want) return false;
    return !this.sentEnable || this.sentEnable.enabled !== want || Date.now() - this.sentEnable.at > 1_000;
  }

  /** The ENABLE BILL TYPES mask wanted now: the usable types, narrowed to the values left open. */
  private wantMask(): number {
    return this.wantEnabled ? this.bills.mask(this.accepts) : 0;
  }

  private async applyEnable(): Promise<void> {
    const mask = this.wantMask();
    const enabled = mask !== 0;
    // Every enabled type stops in escrow: the domain decides (README.md, "Cash hardware").
    await this.line.command(enableBillTypesRequest(mask, mask));
    this.sentEnable = { enabled, at: Date.now() };
  }

  private async escrow(billType: number): Promise<void> {
    if (this.escrowDecided) return;
    await this.loadTable();
    const value = this.bills.valueOf(billType, true);
    let decision: EscrowDecision = 'return';
    if (value === null) {
      this.log.error({ device: this.name, billType }, 'ccnet: bill in escrow of a type not accepted here: returned');
    } else if (!this.wantEnabled) {
      this.log.info({ device: this.name, value }, 'ccnet: bill in escrow while closed: returned');
    } else if (!this.escrowHandler) {
      decision = 'stack';
    } else {
      const hold = setInterval(() => void this.line.command([Command.Hold]).catch(() => undefined), this.holdIntervalMs);
      try {
        decision = await this.escrowHandler(value);
      } catch (e) {
        this.log.error({ device: this.name, value, err: String(e) }, 'ccnet: escrow decision failed: bill returned');
        decision = 'return';
      } finally {
        clearInterval(hold);
      }
      // Closed while deciding (the session ended): give the bill back.
      if (!this.wantEnabled) decision = 'return';
    }
    await this.line.command([decision === 'stack' ? Command.Stack : Command.Return]);
    this.escrowDecided = true;
    this.stackSent = decision === 'stack' ? value : null;
    this.log.info({ device: this.name, value, decision }, 'ccnet: escrow decided');
  }

  private async stacked(billType: number): Promise<void> {
    if (this.creditedRepeatGuard === billType) {
      // Same STACKED again with nothing in between: our ACK was lost (see the header comment).
      await this.line.ack();
      return;
    }
    // A STACKED seen before the table was read (left over from before a restart): value it first.
    // If the table cannot be read now, no ACK: the validator repeats the event.
    await this.loadTable();
    const value = this.bills.valueOf(billType);
    if (value === null) {
      this.log.error({ device: this.name, billType }, 'ccnet: STACKED bill of a type not in the table: cannot be credited');
      await this.line.ack();
      this.creditedRepeatGuard = billType;
      return;
    }
    const ref = `${this.name}-${this.bootId}-${this.creditSeq + 1}`;
    if (!this.creditHandler) {
      this.log.error({ device: this.name, value, ref }, 'ccnet: bill stacked with no credit handler');
    } else {
      try {
        await this.creditHandler({ value, ref });
      } catch (e) {
        // Not ACKed: the validator repeats STACKED and the credit is retried with the same ref.
        this.log.error({ device: this.name, value, ref, err: String(e) }, 'ccnet: credit not stored; STACKED left unacknowledged');
        return;
      }
    }
    this.creditSeq++;
    this.creditedRepeatGuard = billType;
    this.lastEvent = `stacked ${value}`;
    this.log.info({ device: this.name, value, ref }, 'ccnet: bill stacked and credited');
    await this.line.ack();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.wakeTimer = setTimeout(resolve, ms);
    });
  }

  private wakeUp(): void {
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wake?.();
    this.wake = null;
  }
}
