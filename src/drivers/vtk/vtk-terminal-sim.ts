/**
 * A simulated Vendotek terminal (the "POS" side of VTK 1.12), for tests and demos: answers IDL/DIS with
 * its current operation number, authorises VRPs, honours ABR and FIN, and keeps the operation number and
 * results as a real terminal keeps them in non-volatile memory (3.3), so a repeated VRP or FIN with the
 * same number gets the previous result.
 *
 * Modes: approve, decline (after `authMs`, the time a card tap and the bank take); slow (the outcome
 * after `slowMs`); silent (reads, never answers: a dead terminal); drop (on a VRP the link drops and the
 * terminal stays deaf for `dropForMs` while the authorisation completes without the kiosk); manual (the
 * authorisation waits for decide(): a customer at the simulated terminal, for `paypoint sim card ...`).
 * `garble` puts noise and corrupt frames before every answer. `lateApproval`: an ABR does not stop the
 * authorisation (the bank's approval was already on its way), so the VRP is answered with an approval
 * after the kiosk withdrew the offer (4.4: the ABR is optional and the POS answers the VRP anyway).
 * `opNumber` starts the terminal's stored number anywhere (e.g. near 99 999 999, for the wrap, 3.3).
 * Run as a process: vtk-sim-main.ts.
 */
import { EventEmitter } from 'node:events';
import { encodeFrame, VtkDeframer, VtkDiscriminator, type VtkFraming } from '../../codecs/vtk/frame.js';
import { decodeMessage, encodeMessage, type VtkMessage } from '../../codecs/vtk/message.js';
import type { ByteLink } from './byte-link.js';

export type VtkSimMode = 'approve' | 'decline' | 'slow' | 'silent' | 'drop' | 'manual';
export const VTK_SIM_MODES: readonly VtkSimMode[] = ['approve', 'decline', 'slow', 'silent', 'drop', 'manual'];

export interface VtkTerminalSimOptions {
  framing: VtkFraming;
  /** Default 'approve'. */
  mode?: VtkSimMode;
  /** What an authorisation ends in, in the slow and drop modes. Default 'approve'. */
  outcome?: 'approve' | 'decline';
  /** Card tap + bank answer, ms. Default 300. */
  authMs?: number;
  /** The slow mode's authorisation time, ms. Default 8 000. */
  slowMs?: number;
  /** How long the terminal stays unreachable after a drop, ms. Default 2 000. */
  dropForMs?: number;
  /** Noise and corrupt frames before every answer. Default false. */
  garble?: boolean;
  /** Tags 05/06 the terminal sends in its IDL/DIS answers (3.5, 3.6); omitted when undefined. */
  keepaliveS?: number;
  opTimeoutS?: number;
  /** An ABR does not stop the authorisation: the approval comes late. Default false. */
  lateApproval?: boolean;
  /** The operation number in the terminal's non-volatile memory at start (3.3). Default 0. */
  opNumber?: number;
}

export interface SimOp {
  opNumber: number;
  amount: number;
  state: 'authorising' | 'approved' | 'declined' | 'aborted';
  /** The FIN amount received (3.4): the amount sold, 0 = vend failed (reversed), null = no FIN yet. */
  finAmount: number | null;
  vrpCount: number;
}

export interface VtkTerminalSimEvents {
  /** Every message received from the kiosk. */
  message: [m: VtkMessage];
  /** Every message sent to the kiosk (lost: the link was down or deaf). */
  answer: [m: VtkMessage, lost: boolean];
  /** An authorisation ended. */
  settled: [op: SimOp];
  fin: [op: SimOp];
  link: [description: string];
}

type Link = ByteLink & { destroy?: () => void };

export class VtkTerminalSim extends EventEmitter<VtkTerminalSimEvents> {
  mode: VtkSimMode;
  outcome: 'approve' | 'decline';
  garble: boolean;
  lateApproval: boolean;
  /** The terminal's current operation number, as kept in its non-volatile memory (3.3). */
  opNumber = 0;
  readonly ops = new Map<number, SimOp>();
  private link: Link | null = null;
  private deframer: VtkDeframer;
  private deafUntil = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly o: Required<Omit<VtkTerminalSimOptions, 'keepaliveS' | 'opTimeoutS' | 'mode' | 'outcome' | 'garble' | 'lateApproval' | 'opNumber'>> &
    Pick<VtkTerminalSimOptions, 'keepaliveS' | 'opTimeoutS'>;

  constructor(opts: VtkTerminalSimOptions) {
    super();
    this.mode = opts.mode ?? 'approve';
    this.outcome = opts.outcome ?? 'approve';
    this.garble = opts.garble ?? false;
    this.lateApproval = opts.lateApproval ?? false;
    this.opNumber = opts.opNumber ?? 0;
    this.o = {
      framing: opts.framing,
      authMs: opts.authMs ?? 300,
      slowMs: opts.slowMs ?? 8_000,
      dropForMs: opts.dropForMs ?? 2_000,
      keepaliveS: opts.keepaliveS,
      opTimeoutS: opts.opTimeoutS,
    };
    this.deframer = new VtkDeframer(opts.framing);
  }

  /** Takes over a link (a new TCP connection replaces the previous one, as a terminal serves one VMC). */
  attach(link: Link): void {
    const old = this.link;
    this.link = link;
    this.deframer.reset();
    if (old && old !== link) void old.close().catch(() => undefined);
    link.onData((chunk) => {
      if (this.link === link) this.onChunk(chunk);
    });
    link.onClose(() => {
      if (this.link === link) this.link = null;
    });
    this.emit('link', link.description);
  }

  /** Operations the card was charged for and not reversed by a FIN 0. */
  charges(): SimOp[] {
    return [...this.ops.values()].filter((o) => o.state === 'approved' && o.finAmount !== 0);
  }

  /**
   * The customer at the terminal (manual mode): settles the operation now authorising. Returns its
   * operation, or null when none is waiting.
   */
  decide(result: 'approve' | 'decline'): SimOp | null {
    const op = this.ops.get(this.opNumber);
    if (op?.state !== 'authorising') return null;
    this.settle(op, result === 'approve' ? 'approved' : 'declined');
    return op;
  }

  /** Drops the link now, as a pulled cable: TCP reset, or (serial) nothing gets through for a while. */
  dropLink(forMs = this.o.dropForMs): void {
    this.deafUntil = Date.now() + forMs;
    const l = this.link;
    if (l?.destroy) {
      this.link = null;
      l.destroy();
    }
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const l = this.link;
    this.link = null;
    await l?.close().catch(() => undefined);
  }

  private deaf(): boolean {
    return Date.now() < this.deafUntil;
  }

  private onChunk(chunk: Buffer): void {
    if (this.mode === 'silent' || this.deaf()) return;
    for (const ev of this.deframer.push(chunk)) {
      if (ev.kind !== 'frame' || ev.discriminator !== VtkDiscriminator.FromVmc) continue;
      let m: VtkMessage;
      try {
        m = decodeMessage(ev.message);
      } catch {
        continue;
      }
      this.emit('message', m);
      this.onMessage(m);
    }
  }

  private onMessage(m: VtkMessage): void {
    switch (m.name) {
      case 'IDL':
      case 'DIS':
        void this.answer({ name: m.name, opNumber: this.opNumber, keepaliveS: this.o.keepaliveS, opTimeoutS: this.o.opTimeoutS });
        return;
      case 'VRP':
        return this.onVrp(m);
      case 'ABR': {
        const op = this.ops.get(this.opNumber);
        if (op?.state === 'authorising' && !this.lateApproval) this.settle(op, 'aborted');
        return;
      }
      case 'FIN':
        return this.onFin(m);
      default:
        return;
    }
  }

  private onVrp(m: VtkMessage): void {
    if (m.opNumber === undefined || m.amount === undefined || m.amount <= 0) return;
    const known = this.ops.get(m.opNumber);
    if (known) {
      // 3.3: a repeated VRP with the same number: the previous result (when it is there).
      known.vrpCount++;
      if (known.state !== 'authorising') this.answerVrp(known);
      return;
    }
    const prev = this.ops.get(this.opNumber);
    if (prev?.state === 'authorising') this.settle(prev, 'aborted');
    const op: SimOp = { opNumber: m.opNumber, amount: m.amount, state: 'authorising', finAmount: null, vrpCount: 1 };
    this.opNumber = m.opNumber;
    this.ops.set(op.opNumber, op);
    if (this.mode === 'manual') return; // decide() settles it
    const ms = this.mode === 'slow' ? this.o.slowMs : this.o.authMs;
    const approve = this.mode === 'approve' || (this.mode !== 'decline' && this.outcome === 'approve');
    this.after(ms, () => {
      if (op.state === 'authorising') this.settle(op, approve ? 'approved' : 'declined');
    });
    if (this.mode === 'drop') this.dropLink();
  }

  private settle(op: SimOp, state: SimOp['state']): void {
    op.state = state;
    this.emit('settled', op);
    this.answerVrp(op);
  }

  private answerVrp(op: SimOp): void {
    const ok = op.state === 'approved';
    const receipt = ok
      ? `ACTION:SALE\nTOTAL:${(op.amount / 100).toFixed(2)} RUB\nRESULT:APPROVED\nRRN:${String(900000000000 + op.opNumber)}\nRESPONSE CODE:000`
      : `ACTION:SALE\nRESULT:DECLINED\nRESPONSE CODE:${op.state === 'aborted' ? '017' : '051'}`;
    void this.answer({ name: 'VRP', opNumber: op.opNumber, amount: ok ? op.amount : 0, receipt });
  }

  private onFin(m: VtkMessage): void {
    if (m.opNumber === undefined || m.amount === undefined) return;
    const op = this.ops.get(m.opNumber);
    if (!op || op.state !== 'approved') {
      void this.answer({ name: 'FIN', opNumber: m.opNumber, amount: 0 });
      return;
    }
    if (op.finAmount === null) {
      // 3.4: the amount sold; 0 means the vend failed and the charge is reversed. A different non-zero
      // amount is declined (the answer carries the approved amount, not the requested one).
      if (m.amount === 0 || m.amount === op.amount) op.finAmount = m.amount;
      this.emit('fin', op);
    }
    void this.answer({ name: 'FIN', opNumber: op.opNumber, amount: op.finAmount ?? op.amount });
  }

  private async answer(m: VtkMessage): Promise<void> {
    const link = this.link;
    const lost = this.mode === 'silent' || !link || this.deaf();
    this.emit('answer', m, lost);
    if (lost) return;
    const frame = encodeFrame(this.o.framing, VtkDiscriminator.FromPos, encodeMessage(m));
    const out = this.garble ? Buffer.concat([garbage(this.o.framing, frame), frame]) : frame;
    await link.write(out).catch(() => undefined);
  }

  private after(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }
}

/** Noise a flaky line or a confused peer could produce, which the kiosk must survive (VTK 2). */
function garbage(framing: VtkFraming, frame: Buffer): Buffer {
  const parts: Buffer[] = [];
  if (framing === 'serial') {
    parts.push(Buffer.from([0x00, 0xff, 0x55, 0xaa, 0x13]));
    const badCrc = Buffer.from(frame);
    badCrc[badCrc.length - 1]! ^= 0x5a;
    parts.push(badCrc);
    const badBody = Buffer.from(frame);
    badBody[6]! ^= 0x01; // a flipped bit inside the message, CRC left as it was
    parts.push(badBody);
    parts.push(Buffer.from([0x1f, 0x00, 0x40])); // a stray start byte claiming 64 bytes
  } else {
    parts.push(encodeFrame('tcp', 0x1234, encodeMessage({ name: 'IDL' }))); // unknown discriminator
    parts.push(encodeFrame('tcp', VtkDiscriminator.FromPos, Buffer.from([0x01, 0x03, 0x56, 0x52, 0x50, 0x04, 0x39]))); // TLV overruns
  }
  return Buffer.concat(parts);
}

