/**
 * VTK framing (VTK 1.12 section 2), pure: no I/O.
 *
 *   serial:  1F | length (2, BE) | discriminator (2, BE) | TLV message | CRC16 (2, BE)
 *   TCP/IP:       length (2, BE) | discriminator (2, BE) | TLV message
 *
 * `length` counts the discriminator and the message (not the CRC). The CRC (crc16.ts) runs from the
 * 0x1F to the last message byte. Discriminators: 0x96FB from the VMC (us), 0x97FB from the POS terminal;
 * 0x96FC/0x97FC carry NFCReader messages, which the deframer passes on and the driver ignores.
 */
import { ErrorCode, PayPointError } from '../../errors.js';
import { crc16Vtk } from './crc16.js';

export type VtkFraming = 'serial' | 'tcp';

export const VtkDiscriminator = {
  /** VTK base protocol, from the VMC (the kiosk) to the POS terminal. */
  FromVmc: 0x96fb,
  /** VTK base protocol, from the POS terminal to the VMC. */
  FromPos: 0x97fb,
  NfcFromVmc: 0x96fc,
  NfcFromPos: 0x97fc,
} as const;

const KNOWN_DISCRIMINATORS = new Set<number>(Object.values(VtkDiscriminator));
export const VTK_START = 0x1f;
/** Section 1: "Timeout for the last byte receiving after first byte receiving: 8 seconds". */
export const VTK_INTER_BYTE_MS = 8000;
/** Recommended TCP port (section 1). */
export const VTK_TCP_PORT = 62801;

export function encodeFrame(framing: VtkFraming, discriminator: number, message: Uint8Array): Buffer {
  const length = 2 + message.length;
  if (length > 0xffff) throw new PayPointError(ErrorCode.DeviceProtocol, 'VTK: message too long for a frame', { protocol: 'vtk', length });
  if (framing === 'tcp') {
    const out = Buffer.alloc(4 + message.length);
    out.writeUInt16BE(length, 0);
    out.writeUInt16BE(discriminator, 2);
    out.set(message, 4);
    return out;
  }
  const out = Buffer.alloc(5 + message.length + 2);
  out[0] = VTK_START;
  out.writeUInt16BE(length, 1);
  out.writeUInt16BE(discriminator, 3);
  out.set(message, 5);
  out.writeUInt16BE(crc16Vtk(out, 0, 5 + message.length), 5 + message.length);
  return out;
}

export type DeframeEvent =
  | { kind: 'frame'; discriminator: number; message: Buffer }
  | {
      kind: 'dropped';
      /**
       * garbage: bytes before a 0x1F (section 2: "must ignore all bytes before 0x1F");
       * crc: a frame whose CRC does not match (section 2: "must be ignored");
       * length: a length field below 2 or above the configured maximum;
       * discriminator: a well-formed frame with an unknown protocol discriminator (section 2: ignored);
       * timeout: a partial frame not completed within 8 s of its first byte (section 1).
       */
      reason: 'garbage' | 'crc' | 'length' | 'discriminator' | 'timeout';
      bytes: number;
      /** TCP only: the stream cannot be resynchronised (no start byte); the connection must be closed. */
      fatal: boolean;
    };

export interface DeframerOptions {
  /** Largest accepted length field (discriminator + message), default the protocol's 0xFFFF. */
  maxLength?: number;
  /** Serial only: a frame must complete within this many ms of its start byte (section 1: 8 s). */
  interByteMs?: number;
}

/**
 * A streaming deframer: push chunks as they arrive (any split, any garbage), get whole frames out.
 * Serial: hunts for 0x1F; after a bad CRC or impossible length it resumes the hunt at the byte after
 * that 0x1F (not after the claimed frame), so a stray 0x1F in noise cannot swallow the real frame behind
 * it. TCP: the stream has no start byte, so an impossible length is fatal for the connection.
 */
export class VtkDeframer {
  private buf: Buffer = Buffer.alloc(0);
  /** When the partial frame at the head of `buf` started (serial), for the 8 s rule. */
  private partialSince: number | null = null;
  private readonly maxLength: number;
  private readonly interByteMs: number;

  constructor(
    readonly framing: VtkFraming,
    opts: DeframerOptions = {},
  ) {
    this.maxLength = Math.min(opts.maxLength ?? 0xffff, 0xffff);
    this.interByteMs = opts.interByteMs ?? VTK_INTER_BYTE_MS;
  }

  /** Bytes waiting for the rest of their frame. */
  get pending(): number {
    return this.buf.length;
  }

  reset(): void {
    this.buf = Buffer.alloc(0);
    this.partialSince = null;
  }

  push(chunk: Uint8Array, now: number = Date.now()): DeframeEvent[] {
    const events: DeframeEvent[] = [];
    if (this.framing === 'serial' && this.partialSince !== null && this.buf.length > 0 && now - this.partialSince > this.interByteMs) {
      events.push({ kind: 'dropped', reason: 'timeout', bytes: this.buf.length, fatal: false });
      this.buf = Buffer.alloc(0);
      this.partialSince = null;
    }
    this.buf = this.buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buf, chunk]);
    if (this.framing === 'serial') this.drainSerial(events, now);
    else this.drainTcp(events);
    return events;
  }

  private drainSerial(events: DeframeEvent[], now: number): void {
    for (;;) {
      const start = this.buf.indexOf(VTK_START);
      if (start < 0) {
        if (this.buf.length > 0) events.push({ kind: 'dropped', reason: 'garbage', bytes: this.buf.length, fatal: false });
        this.buf = Buffer.alloc(0);
        this.partialSince = null;
        return;
      }
      if (start > 0) {
        events.push({ kind: 'dropped', reason: 'garbage', bytes: start, fatal: false });
        this.buf = this.buf.subarray(start);
        this.partialSince = null;
      }
      this.partialSince ??= now;
      if (this.buf.length < 3) return;
      const length = this.buf.readUInt16BE(1);
      if (length < 2 || length > this.maxLength) {
        events.push({ kind: 'dropped', reason: 'length', bytes: 1, fatal: false });
        this.skipStartByte();
        continue;
      }
      const total = 3 + length + 2;
      if (this.buf.length < total) {
        // A stray 0x1F with a plausible length would hold the real frames behind it until enough bytes
        // arrive (or 8 s pass). If a complete frame with a good CRC already starts further on, the head
        // was noise: resynchronise there now.
        const next = this.nextValidFrame(1);
        if (next < 0) return;
        events.push({ kind: 'dropped', reason: 'garbage', bytes: next, fatal: false });
        this.buf = this.buf.subarray(next);
        this.partialSince = null;
        continue;
      }
      const crc = this.buf.readUInt16BE(3 + length);
      if (crc16Vtk(this.buf, 0, 3 + length) !== crc) {
        events.push({ kind: 'dropped', reason: 'crc', bytes: 1, fatal: false });
        this.skipStartByte();
        continue;
      }
      const discriminator = this.buf.readUInt16BE(3);
      const message = Buffer.from(this.buf.subarray(5, 3 + length));
      this.buf = this.buf.subarray(total);
      this.partialSince = null;
      if (KNOWN_DISCRIMINATORS.has(discriminator)) events.push({ kind: 'frame', discriminator, message });
      else events.push({ kind: 'dropped', reason: 'discriminator', bytes: total, fatal: false });
    }
  }

  /** Offset of the first complete, CRC-valid serial frame at or after `from`, or -1. */
  private nextValidFrame(from: number): number {
    for (let p = this.buf.indexOf(VTK_START, from); p >= 0; p = this.buf.indexOf(VTK_START, p + 1)) {
      if (p + 3 > this.buf.length) return -1;
      const length = this.buf.readUInt16BE(p + 1);
      if (length < 2 || length > this.maxLength || p + 3 + length + 2 > this.buf.length) continue;
      if (crc16Vtk(this.buf, p, p + 3 + length) === this.buf.readUInt16BE(p + 3 + length)) return p;
    }
    return -1;
  }

  private skipStartByte(): void {
    this.buf = this.buf.subarray(1);
    this.partialSince = null;
  }

  private drainTcp(events: DeframeEvent[]): void {
    for (;;) {
      if (this.buf.length < 2) return;
      const length = this.buf.readUInt16BE(0);
      if (length < 2 || length > this.maxLength) {
        events.push({ kind: 'dropped', reason: 'length', bytes: this.buf.length, fatal: true });
        this.buf = Buffer.alloc(0);
        return;
      }
      if (this.buf.length < 2 + length) return;
      const discriminator = this.buf.readUInt16BE(2);
      const message = Buffer.from(this.buf.subarray(4, 2 + length));
      this.buf = this.buf.subarray(2 + length);
      if (KNOWN_DISCRIMINATORS.has(discriminator)) events.push({ kind: 'frame', discriminator, message });
      else events.push({ kind: 'dropped', reason: 'discriminator', bytes: 2 + length, fatal: false });
    }
  }
}
