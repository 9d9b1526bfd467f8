/**
 * A CashCode bill validator simulated on the far end of a serial link (CCNET, peripheral side): it
 * answers the controller's frames byte for byte as a validator does, and is driven by the "customer"
 * (insertBill, insertUnknown) and the "technician" (jam, cassette, power cycle, silence) through
 * methods. Tests and `ccnet-sim-main.ts` run it on one end of a socat pty pair.
 *
 * Behaviour modelled from the CCNET description:
 * - after power-up it reports POWER UP (with a bill in the validator or the stacker, if so) until RESET;
 *   RESET gives INITIALIZE for a few polls, then UNIT DISABLED until ENABLE BILL TYPES opens it;
 * - a bill goes ACCEPTING -> ESCROW (when its escrow bit is set; held until STACK or RETURN, or returned
 *   after the escrow timeout) -> STACKING -> STACKED, or RETURNING -> RETURNED; a bill type that is
 *   not enabled is REJECTING with reason 0x68 (inhibit);
 * - STACKED and RETURNED are events: repeated on every POLL until the controller ACKs them;
 * - a frame with a wrong CRC gets NAK; an unknown command or one that does not fit the state gets
 *   ILLEGAL COMMAND (0x30); frames for another address are ignored.
 */
import { encodeFrame, FrameReader, ADDRESS_BILL_VALIDATOR, type CcnetFrame } from '../../codecs/ccnet/frame.js';
import { ACK, Command, ILLEGAL_COMMAND, NAK, maskBytes, maskFromBytes } from '../../codecs/ccnet/commands.js';
import { encodePoll, type PollStatus } from '../../codecs/ccnet/poll-status.js';
import { encodeBillTable } from '../../codecs/ccnet/bill-table.js';
import type { SerialLink } from '../../transports/serial/serial-port.js';

export interface SimBill {
  billType: number;
  country: string;
  /** Kopecks. */
  value: number;
}

/** The reference unit's Russian table: 10..5000 RUB (CashCode RUS firmware order). */
export const RUB_BILL_TABLE: SimBill[] = [
  { billType: 0, country: 'RUS', value: 1_000 },
  { billType: 1, country: 'RUS', value: 5_000 },
  { billType: 2, country: 'RUS', value: 10_000 },
  { billType: 3, country: 'RUS', value: 50_000 },
  { billType: 4, country: 'RUS', value: 100_000 },
  { billType: 5, country: 'RUS', value: 500_000 },
  { billType: 6, country: 'RUS', value: 20_000 },
  { billType: 7, country: 'RUS', value: 200_000 },
];

type Step = { status: PollStatus; polls: number } | { status: PollStatus; until: 'decision'; type: number };

export interface CcnetSimOptions {
  address?: number;
  table?: SimBill[];
  /** Polls spent in each transient state (accepting, stacking...). */
  pollsPerStep?: number;
  /** A bill left in escrow without STACK or RETURN is returned after this long (real units: ~10 s). */
  escrowTimeoutMs?: number;
  /** Initial power-up condition. */
  powerUp?: 'none' | 'validator' | 'stacker';
}

export class CcnetValidatorSim {
  private readonly address: number;
  private readonly table: SimBill[];
  private readonly pollsPerStep: number;
  private readonly escrowTimeoutMs: number;
  private readonly reader: FrameReader;
  private powerUp: 'none' | 'validator' | 'stacker' | null;
  private enableMask = 0;
  private escrowMask = 0;
  private script: Step[] = [];
  private latched: PollStatus | null = null;
  private escrowTimer: NodeJS.Timeout | null = null;
  private jammed: 'validator' | 'stacker' | null = null;
  private cassetteOut = false;
  private cassetteFull = false;
  private failure: number | null = null;
  /** No answer at all (cable pulled, validator off). */
  silent = false;
  /** ACKs of STACKED/RETURNED events to ignore, to simulate ACKs lost on the line. */
  dropEventAcks = 0;
  /** Every command received, in order (tests check the controller's behaviour). */
  readonly received: number[] = [];
  /** Bills that ended in the cassette, and returned to the customer. */
  readonly stacked: number[] = [];
  readonly returned: number[] = [];
  private lastResponse: PollStatus | null = null;

  constructor(private readonly link: SerialLink, options: CcnetSimOptions = {}) {
    this.address = options.address ?? ADDRESS_BILL_VALIDATOR;
    this.table = options.table ?? RUB_BILL_TABLE;
    this.pollsPerStep = options.pollsPerStep ?? 2;
    this.escrowTimeoutMs = options.escrowTimeoutMs ?? 10_000;
    this.powerUp = options.powerUp ?? 'none';
    this.reader = new FrameReader(
      (f) => void this.onFrame(f),
      (e) => {
        if (e.kind === 'crc' && !this.silent) void this.send([NAK]);
      },
    );
  }

  async start(): Promise<void> {
    await this.link.open();
    this.link.onData((chunk) => this.reader.push(chunk));
  }

  async stop(): Promise<void> {
    if (this.escrowTimer) clearTimeout(this.escrowTimer);
    await this.link.close();
  }

  /**
   * The serial adapter between controller and validator unplugged and plugged back (a new pty at the
   * same path): the port is opened again. The validator has its own power, so it keeps its state: a
   * bill in escrow, a STACKED event not yet acknowledged, its enable masks (powerCycle() for a restart).
   */
  async reconnect(): Promise<void> {
    await this.link.close();
    await this.link.open();
  }

  /** Power cycle: everything volatile is lost; `bill` says where a bill was caught. */
  powerCycle(bill: 'none' | 'validator' | 'stacker' = 'none'): void {
    if (this.escrowTimer) clearTimeout(this.escrowTimer);
    this.powerUp = bill;
    this.enableMask = 0;
    this.escrowMask = 0;
    this.script = [];
    this.latched = null;
  }

  /** The customer inserts a bill of this type. 'refused' when the validator is not taking bills. */
  insertBill(billType: number): 'inserted' | 'refused' {
    if (this.baseline().kind !== 'idling' || this.script.length > 0 || this.latched) return 'refused';
    const enabled = (this.enableMask >>> billType) & 1 && this.table.some((b) => b.billType === billType);
    this.step({ kind: 'accepting' });
    if (!enabled) {
      this.step({ kind: 'rejecting', code: 0x68, reason: 'inhibit' });
      return 'inserted';
    }
    if ((this.escrowMask >>> billType) & 1) {
      this.script.push({ status: { kind: 'escrow', billType }, until: 'decision', type: billType });
    } else {
      this.stackSteps(billType);
    }
    return 'inserted';
  }

  /** The customer inserts something the validator does not recognise (reject reason code, 0x60..0x6C). */
  insertUnknown(reason = 0x65): 'inserted' | 'refused' {
    if (this.baseline().kind !== 'idling' || this.script.length > 0 || this.latched) return 'refused';
    this.step({ kind: 'accepting' });
    this.step({ kind: 'rejecting', code: reason, reason: '' });
    return 'inserted';
  }

  jam(where: 'validator' | 'stacker' | null): void {
    this.jammed = where;
  }

  setCassette(state: 'in' | 'out' | 'full'): void {
    this.cassetteOut = state === 'out';
    this.cassetteFull = state === 'full';
  }

  fail(code: number | null): void {
    this.failure = code;
  }

  /** What the validator would answer to a POLL now (for tests; does not advance the script). */
  status(): PollStatus {
    return this.latched ?? this.script[0]?.status ?? this.baseline();
  }

  masks(): { enable: number; escrow: number } {
    return { enable: this.enableMask, escrow: this.escrowMask };
  }

  private step(status: PollStatus, polls = this.pollsPerStep): void {
    this.script.push({ status, polls });
  }

  private stackSteps(billType: number): void {
    this.step({ kind: 'stacking' });
    this.script.push({ status: { kind: 'stacked', billType }, polls: 0 });
  }

  private returnSteps(billType: number): void {
    this.step({ kind: 'returning' });
    this.script.push({ status: { kind: 'returned', billType }, polls: 0 });
  }

  private baseline(): PollStatus {
    if (this.powerUp !== null) return { kind: 'power-up', bill: this.powerUp };
    if (this.failure !== null) return { kind: 'failure', code: this.failure, reason: '' };
    if (this.jammed) return { kind: 'jam', where: this.jammed };
    if (this.cassetteOut) return { kind: 'cassette-out' };
    if (this.cassetteFull) return { kind: 'cassette-full' };
    return this.enableMask !== 0 ? { kind: 'idling' } : { kind: 'disabled' };
  }

  private nextPollStatus(): PollStatus {
    if (this.latched) return this.latched;
    const head = this.script[0];
    if (!head) return this.baseline();
    if ('until' in head) {
      if (!this.escrowTimer) {
        this.escrowTimer = setTimeout(() => this.decide(head.type, 'return'), this.escrowTimeoutMs);
      }
      return head.status;
    }
    if (head.status.kind === 'stacked' || head.status.kind === 'returned') {
      this.script.shift();
      (head.status.kind === 'stacked' ? this.stacked : this.returned).push(head.status.billType);
      this.latched = head.status;
      return head.status;
    }
    if (--head.polls <= 0) this.script.shift();
    return head.status;
  }

  private decide(billType: number, what: 'stack' | 'return'): boolean {
    const head = this.script[0];
    if (!head || !('until' in head) || head.type !== billType) return false;
    if (this.escrowTimer) clearTimeout(this.escrowTimer);
    this.escrowTimer = null;
    this.script.shift();
    const rest = this.script;
    this.script = [];
    if (what === 'stack') this.stackSteps(billType);
    else this.returnSteps(billType);
    this.script.push(...rest);
    return true;
  }

  private async onFrame(f: CcnetFrame): Promise<void> {
    if (this.silent || f.address !== this.address) return;
    const cmd = f.data[0];
    this.received.push(cmd);
    switch (cmd) {
      case ACK:
        if (f.data.length === 1) {
          if (!this.latched || this.latched !== this.lastResponse) return;
          if (this.dropEventAcks > 0) this.dropEventAcks--;
          else this.latched = null;
        }
        return; // ACK is never answered.
      case Command.Poll: {
        const s = this.nextPollStatus();
        this.lastResponse = s;
        return this.send(encodePoll(s));
      }
      case Command.Reset: {
        if (this.escrowTimer) clearTimeout(this.escrowTimer);
        this.escrowTimer = null;
        const bill = this.powerUp;
        this.powerUp = null;
        this.enableMask = 0;
        this.escrowMask = 0;
        this.latched = null;
        this.script = [];
        this.step({ kind: 'initialize' });
        // A bill caught in the path at power-up is given back during initialisation; one caught at the
        // stacker is pushed into the cassette (no STACKED event: the controller cannot know if it was credited).
        if (bill === 'validator') this.step({ kind: 'returning' });
        if (bill === 'stacker') this.step({ kind: 'stacking' });
        return this.send([ACK]);
      }
      case Command.GetBillTable:
        return this.send([...encodeBillTable(this.table)]);
      case Command.Identification: {
        const id = Buffer.alloc(34, 0x20);
        id.write('SM-RU1353SIM', 0, 'ascii');
        id.write('41K000000001', 15, 'ascii');
        return this.send([...id]);
      }
      case Command.GetStatus:
        return this.send([...maskBytes(this.enableMask), 0, 0, 0, ...maskBytes(this.escrowMask)]);
      case Command.EnableBillTypes:
        if (f.data.length !== 7 || this.powerUp !== null) return this.send([ILLEGAL_COMMAND]);
        this.enableMask = maskFromBytes(f.data, 1);
        this.escrowMask = maskFromBytes(f.data, 4);
        return this.send([ACK]);
      case Command.Stack:
      case Command.Return: {
        const head = this.script[0];
        if (!head || !('until' in head)) return this.send([ILLEGAL_COMMAND]);
        this.decide(head.type, cmd === Command.Stack ? 'stack' : 'return');
        return this.send([ACK]);
      }
      case Command.Hold: {
        const head = this.script[0];
        if (!head || !('until' in head)) return this.send([ILLEGAL_COMMAND]);
        if (this.escrowTimer) clearTimeout(this.escrowTimer);
        this.escrowTimer = setTimeout(() => this.decide(head.type, 'return'), this.escrowTimeoutMs);
        return this.send([ACK]);
      }
      default:
        return this.send([ILLEGAL_COMMAND]);
    }
  }

  private async send(data: number[]): Promise<void> {
    try {
      await this.link.write(encodeFrame(this.address, data));
    } catch {
      // The controller's end went away; a validator just keeps waiting.
    }
  }
}
