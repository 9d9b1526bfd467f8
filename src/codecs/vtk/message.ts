/**
 * VTK base-protocol application messages (VTK 1.12 sections 3.1-3.20), pure: typed fields in, TLV bytes
 * out and back. Decoding is strict about what the kiosk relies on (a message name; decimal fields made of
 * ASCII digits within the maximal length of 3.1; no repeated known tag, since two amounts in one answer
 * would be a guess), and lenient where the spec says so: unknown tags are kept aside and ignored
 * (section 2: "Unsupported parameters must be ignored").
 */
import { ErrorCode, PayPointError } from '../../errors.js';
import { decodeTlvs, encodeTlvs, type Tlv } from './tlv.js';

/** Section 3.1. */
export const VtkTag = {
  MessageName: 0x01,
  OperationNumber: 0x03,
  Amount: 0x04,
  KeepaliveS: 0x05,
  OperationTimeoutS: 0x06,
  EventName: 0x07,
  EventNumber: 0x08,
  ProductId: 0x09,
  QrCode: 0x0a,
  TcpDestination: 0x0b,
  OutgoingBytes: 0x0c,
  SimpleData: 0x0d,
  ConfirmableData: 0x0e,
  ProductName: 0x0f,
  PosManagement: 0x10,
  LocalTime: 0x11,
  SystemInfo: 0x12,
  Receipt: 0x13,
  DisplayTimeMs: 0x14,
} as const;

/** Section 3.2. */
export const VTK_MESSAGE_NAMES = ['IDL', 'DIS', 'STA', 'VRP', 'FIN', 'ABR', 'CDP', 'MFR', 'CON', 'DAT', 'DSC'] as const;
export type VtkMessageName = (typeof VTK_MESSAGE_NAMES)[number];

export interface VtkMessage {
  /** Section 3.2; a name this version does not know is kept as is (the driver ignores it). */
  name: VtkMessageName | (string & {});
  /** 3.3, decimal, up to 8 digits. */
  opNumber?: number;
  /** 3.4, minor currency units (kopecks), up to 12 digits. */
  amount?: number;
  /** 3.5, seconds, up to 3 digits (from the POS). */
  keepaliveS?: number;
  /** 3.6, seconds, up to 3 digits (from the POS). */
  opTimeoutS?: number;
  /** 3.7, up to 5 characters. */
  eventName?: string;
  /** 3.8, up to 8 digits. */
  eventNumber?: number;
  /** 3.9, up to 6 digits. */
  productId?: number;
  /** 3.10. */
  qrCode?: string;
  /** 3.11, binary. */
  tcpDestination?: Buffer;
  /** 3.12, up to 12 digits. */
  outgoingBytes?: number;
  /** 3.13 / 3.14, binary. */
  simpleData?: Buffer;
  confirmableData?: Buffer;
  /** 3.15, UTF-8 in practice (the flowchart's example is "КОФЕ" in UTF-8). */
  productName?: string;
  /** 3.16. */
  posManagement?: string;
  /** 3.17. */
  localTime?: string;
  /** 3.18. */
  systemInfo?: string;
  /** 3.19, UTF-8, lines separated by LF. */
  receipt?: string;
  /** 3.20, up to 8 digits. */
  displayTimeMs?: number;
  /** Tags this codec does not know, in the order received (ignored, section 2). */
  others?: Tlv[];
}

type FieldKind = { kind: 'decimal'; max: number } | { kind: 'text'; max?: number; utf8?: boolean } | { kind: 'binary' };

const FIELDS: Record<Exclude<keyof VtkMessage, 'name' | 'others'>, { tag: number; type: FieldKind }> = {
  opNumber: { tag: VtkTag.OperationNumber, type: { kind: 'decimal', max: 8 } },
  amount: { tag: VtkTag.Amount, type: { kind: 'decimal', max: 12 } },
  keepaliveS: { tag: VtkTag.KeepaliveS, type: { kind: 'decimal', max: 3 } },
  opTimeoutS: { tag: VtkTag.OperationTimeoutS, type: { kind: 'decimal', max: 3 } },
  eventName: { tag: VtkTag.EventName, type: { kind: 'text', max: 5 } },
  eventNumber: { tag: VtkTag.EventNumber, type: { kind: 'decimal', max: 8 } },
  productId: { tag: VtkTag.ProductId, type: { kind: 'decimal', max: 6 } },
  qrCode: { tag: VtkTag.QrCode, type: { kind: 'text' } },
  tcpDestination: { tag: VtkTag.TcpDestination, type: { kind: 'binary' } },
  outgoingBytes: { tag: VtkTag.OutgoingBytes, type: { kind: 'decimal', max: 12 } },
  simpleData: { tag: VtkTag.SimpleData, type: { kind: 'binary' } },
  confirmableData: { tag: VtkTag.ConfirmableData, type: { kind: 'binary' } },
  productName: { tag: VtkTag.ProductName, type: { kind: 'text', utf8: true } },
  posManagement: { tag: VtkTag.PosManagement, type: { kind: 'text' } },
  localTime: { tag: VtkTag.LocalTime, type: { kind: 'text' } },
  systemInfo: { tag: VtkTag.SystemInfo, type: { kind: 'text', utf8: true } },
  receipt: { tag: VtkTag.Receipt, type: { kind: 'text', utf8: true } },
  displayTimeMs: { tag: VtkTag.DisplayTimeMs, type: { kind: 'decimal', max: 8 } },
};
const FIELD_BY_TAG = new Map<number, [keyof typeof FIELDS, FieldKind]>(
  (Object.entries(FIELDS) as Array<[keyof typeof FIELDS, { tag: number; type: FieldKind }]>).map(([k, v]) => [v.tag, [k, v.type]]),
);

function invalid(reason: string, context: Record<string, unknown> = {}): PayPointError {
  return new PayPointError(ErrorCode.DeviceProtocol, `VTK: invalid message: ${reason}`, { protocol: 'vtk', reason, ...context });
}

const DIGITS = /^[0-9]+$/;

export function encodeMessage(msg: VtkMessage): Buffer {
  if (!/^[A-Z]{3}$/.test(msg.name)) throw invalid('message name must be 3 capital letters', { name: msg.name });
  const items: Tlv[] = [{ tag: VtkTag.MessageName, value: Buffer.from(msg.name, 'ascii') }];
  for (const [key, { tag, type }] of Object.entries(FIELDS) as Array<[keyof typeof FIELDS, { tag: number; type: FieldKind }]>) {
    const v = msg[key];
    if (v === undefined) continue;
    items.push({ tag, value: encodeValue(key, v, type) });
  }
  for (const o of msg.others ?? []) items.push(o);
  return encodeTlvs(items);
}

function encodeValue(key: string, v: unknown, type: FieldKind): Buffer {
  switch (type.kind) {
    case 'decimal': {
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw invalid('decimal field must be a non-negative integer', { field: key, value: v });
      const s = String(v);
      if (s.length > type.max) throw invalid('decimal field too long', { field: key, max: type.max });
      return Buffer.from(s, 'ascii');
    }
    case 'text': {
      const b = Buffer.from(String(v), type.utf8 ? 'utf8' : 'latin1');
      if (type.max !== undefined && b.length > type.max) throw invalid('text field too long', { field: key, max: type.max });
      return b;
    }
    case 'binary':
      return Buffer.from(v as Uint8Array);
  }
}

export function decodeMessage(message: Uint8Array): VtkMessage {
  const tlvs = decodeTlvs(message);
  const seen = new Set<number>();
  let name: string | null = null;
  const out: Partial<VtkMessage> & { others: Tlv[] } = { others: [] };
  for (const { tag, value } of tlvs) {
    const known = tag === VtkTag.MessageName || FIELD_BY_TAG.has(tag);
    if (known) {
      if (seen.has(tag)) throw invalid('tag repeated', { tag });
      seen.add(tag);
    }
    if (tag === VtkTag.MessageName) {
      const s = value.toString('latin1');
      if (!/^[A-Z]{3}$/.test(s)) throw invalid('message name is not 3 capital letters', { name: s });
      name = s;
      continue;
    }
    const field = FIELD_BY_TAG.get(tag);
    if (!field) {
      out.others.push({ tag, value });
      continue;
    }
    const [key, type] = field;
    (out as Record<string, unknown>)[key] = decodeValue(key, value, type);
  }
  if (name === null) throw invalid('message name (tag 01) missing');
  return { ...out, name };
}

function decodeValue(key: string, value: Buffer, type: FieldKind): number | string | Buffer {
  switch (type.kind) {
    case 'decimal': {
      const s = value.toString('latin1');
      if (s.length === 0 || s.length > type.max || !DIGITS.test(s)) throw invalid('decimal field is not 1-' + type.max + ' ASCII digits', { field: key, value: s.slice(0, 16) });
      return Number(s);
    }
    case 'text':
      return value.toString(type.utf8 ? 'utf8' : 'latin1');
    case 'binary':
      return value;
  }
}

/** A short description for logs: name and the fields that matter, never receipt text in full. */
export function describeMessage(m: VtkMessage): string {
  const parts = [m.name];
  if (m.opNumber !== undefined) parts.push(`op=${m.opNumber}`);
  if (m.amount !== undefined) parts.push(`amount=${m.amount}`);
  if (m.keepaliveS !== undefined) parts.push(`keepalive=${m.keepaliveS}s`);
  if (m.opTimeoutS !== undefined) parts.push(`timeout=${m.opTimeoutS}s`);
  if (m.eventNumber !== undefined) parts.push(`event=${m.eventNumber}`);
  if (m.receipt !== undefined) parts.push(`receipt=${m.receipt.length}B`);
  return parts.join(' ');
}
