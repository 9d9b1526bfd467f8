/**
 * CCNET frames (CashCode CCNET protocol, "Message format"): SYNC(0x02) ADR LNG DATA... CRC16, where
 * LNG counts the whole frame (SYNC through CRC), DATA starts with the command code in a controller's
 * request, and the CRC is CRC-16/KERMIT of SYNC..DATA, low byte first.
 *
 * Peripheral addresses (CCNET "Peripheral addresses"): 0x01 bill-to-bill, 0x02 coin changer, 0x03 bill
 * validator, 0x04 card reader.
 *
 * LNG 0 announces an extended-length frame in the spec (only DOWNLOAD of firmware needs frames over 250
 * bytes); its layout was not in the sources we could read, and no command this firmware sends needs it,
 * so such frames are rejected as 'length' errors rather than guessed at.
 */
import { crc16Kermit } from './crc16.js';

export const SYNC = 0x02;
export const ADDRESS_BILL_VALIDATOR = 0x03;
/** Smallest frame: SYNC ADR LNG one data byte and two CRC bytes. */
export const MIN_FRAME = 6;
export const MAX_FRAME = 250;

export interface CcnetFrame {
  address: number;
  /** Command code and its data (request) or the response data (ACK 0x00, NAK 0xFF, POLL status...). */
  data: Uint8Array;
}

export function encodeFrame(address: number, data: Uint8Array | number[]): Buffer {
  const len = data.length + 5;
  if (data.length < 1 || len > MAX_FRAME) throw new RangeError(`CCNET frame data length ${data.length} out of 1..${MAX_FRAME - 5}`);
  const out = Buffer.alloc(len);
  out[0] = SYNC;
  out[1] = address;
  out[2] = len;
  out.set(data, 3);
  const crc = crc16Kermit(out, 0, len - 2);
  out[len - 2] = crc & 0xff;
  out[len - 1] = crc >>> 8;
  return out;
}

export type FrameError = { kind: 'garbage'; bytes: number } | { kind: 'crc'; frame: Buffer } | { kind: 'length'; lng: number };

/**
 * A streaming framer: feed it chunks as the serial port delivers them, get whole frames back. Bytes
 * before a SYNC are garbage; a frame with a wrong CRC or an impossible length is dropped and the search
 * resumes one byte after its SYNC, so a real frame hidden behind a false SYNC is still found.
 */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);

  constructor(
    private readonly onFrame: (frame: CcnetFrame) => void,
    private readonly onError: (err: FrameError) => void = () => {},
  ) {}

  push(chunk: Uint8Array): void {
    this.buf = this.buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buf, chunk]);
    for (;;) {
      const sync = this.buf.indexOf(SYNC);
      if (sync < 0) {
        if (this.buf.length > 0) this.onError({ kind: 'garbage', bytes: this.buf.length });
        this.buf = Buffer.alloc(0);
        return;
      }
      if (sync > 0) {
        this.onError({ kind: 'garbage', bytes: sync });
        this.buf = this.buf.subarray(sync);
      }
      if (this.buf.length < 3) return;
      const lng = this.buf[2];
      if (lng < MIN_FRAME || lng > MAX_FRAME) {
        this.onError({ kind: 'length', lng });
        this.buf = this.buf.subarray(1);
        continue;
      }
      if (this.buf.length < lng) return;
      const crc = this.buf[lng - 2] | (this.buf[lng - 1] << 8);
      if (crc16Kermit(this.buf, 0, lng - 2) !== crc) {
        this.onError({ kind: 'crc', frame: Buffer.from(this.buf.subarray(0, lng)) });
        this.buf = this.buf.subarray(1);
        continue;
      }
      const frame: CcnetFrame = { address: this.buf[1], data: Buffer.from(this.buf.subarray(3, lng - 2)) };
      this.buf = this.buf.subarray(lng);
      this.onFrame(frame);
    }
  }

  /** Bytes waiting for the rest of a frame. */
  pending(): number {
    return this.buf.length;
  }

  /**
   * Drops a partial frame. The controller calls it before each request: CCNET is strictly
   * request/response, so leftovers of an earlier exchange (a false SYNC announcing a long frame) must
   * not swallow the next answer.
   */
  reset(): void {
    if (this.buf.length > 0) this.onError({ kind: 'garbage', bytes: this.buf.length });
    this.buf = Buffer.alloc(0);
  }
}
