/**
 * BER-TLV (ISO/IEC 8825-1) with primitive encoding, as VTK carries its parameters (VTK 1.12 section 2:
 * tag 1-3 bytes, length 1-3 bytes, value). Decoding is strict: a tag or length that runs past the end of
 * the message, an indefinite or over-long length form, is an error, never a guess.
 */
import { ErrorCode, PayPointError } from '../../errors.js';

export interface Tlv {
  /** The tag bytes read as one big-endian number (VTK's own tags are single bytes 0x01-0x14). */
  tag: number;
  value: Buffer;
}

function malformed(reason: string, context: Record<string, unknown>): PayPointError {
  return new PayPointError(ErrorCode.DeviceProtocol, `VTK: malformed TLV: ${reason}`, { protocol: 'vtk', reason, ...context });
}

export function encodeTag(tag: number): Buffer {
  if (!Number.isInteger(tag) || tag < 0 || tag > 0xffffff) throw malformed('tag out of range', { tag });
  if (tag <= 0xff) return Buffer.from([tag]);
  if (tag <= 0xffff) return Buffer.from([tag >> 8, tag & 0xff]);
  return Buffer.from([tag >> 16, (tag >> 8) & 0xff, tag & 0xff]);
}

/** Section 2: the length field is 1-3 bytes: short form below 128, then 0x81 nn and 0x82 nnnn. */
export function encodeLength(length: number): Buffer {
  if (!Number.isInteger(length) || length < 0 || length > 0xffff) throw malformed('length out of range', { length });
  if (length < 0x80) return Buffer.from([length]);
  if (length <= 0xff) return Buffer.from([0x81, length]);
  return Buffer.from([0x82, length >> 8, length & 0xff]);
}

export function encodeTlvs(items: readonly Tlv[]): Buffer {
  const parts: Buffer[] = [];
  for (const { tag, value } of items) parts.push(encodeTag(tag), encodeLength(value.length), value);
  return Buffer.concat(parts);
}

export function decodeTlvs(data: Uint8Array): Tlv[] {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const out: Tlv[] = [];
  let i = 0;
  while (i < buf.length) {
    const at = i;
    // Tag: ISO 8825-1 multi-byte tags have the low five bits of the first byte all set, then continue
    // while bit 8 is set. VTK allows at most 3 tag bytes.
    let tag = buf[i++]!;
    if ((tag & 0x1f) === 0x1f) {
      let more = true;
      while (more) {
        if (i >= buf.length) throw malformed('tag runs past the end', { offset: at });
        const b = buf[i++]!;
        tag = tag * 256 + b;
        more = (b & 0x80) !== 0;
        if (i - at > 3) throw malformed('tag longer than 3 bytes', { offset: at });
      }
    }
    if (i >= buf.length) throw malformed('length missing', { offset: at, tag });
    const first = buf[i++]!;
    let length: number;
    if (first < 0x80) {
      length = first;
    } else if (first === 0x81 || first === 0x82) {
      const n = first & 0x7f;
      if (i + n > buf.length) throw malformed('length runs past the end', { offset: at, tag });
      length = n === 1 ? buf[i]! : buf.readUInt16BE(i);
      i += n;
    } else {
      // 0x80 (indefinite) is not primitive encoding; 0x83+ is longer than VTK's 3-byte length field.
      throw malformed('unsupported length form', { offset: at, tag, lengthByte: first });
    }
    if (i + length > buf.length) throw malformed('value runs past the end', { offset: at, tag, length, left: buf.length - i });
    out.push({ tag, value: Buffer.from(buf.subarray(i, i + length)) });
    i += length;
  }
  return out;
}
