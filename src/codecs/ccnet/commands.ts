/**
 * CCNET command codes and request payloads (CashCode CCNET, "Controller commands"), bill validator
 * subset. Every request's DATA starts with the command code.
 */
export const Command = {
  Reset: 0x30,
  GetStatus: 0x31,
  SetSecurity: 0x32,
  Poll: 0x33,
  EnableBillTypes: 0x34,
  Stack: 0x35,
  Return: 0x36,
  Identification: 0x37,
  Hold: 0x38,
  GetBillTable: 0x41,
} as const;
export type Command = (typeof Command)[keyof typeof Command];

/** Response DATA bytes with a fixed meaning (CCNET "Acknowledgement"). */
export const ACK = 0x00;
export const NAK = 0xff;
/** The peripheral's answer to a command it does not accept in its current state. */
export const ILLEGAL_COMMAND = 0x30;

/** Number of bill types a validator describes (GET BILL TABLE, ENABLE BILL TYPES bit masks). */
export const BILL_TYPES = 24;

/** A 24-bit mask, bit n = bill type n, as three bytes with bill types 23..16 first (CCNET ENABLE BILL TYPES). */
export function maskBytes(mask: number): number[] {
  if (!Number.isInteger(mask) || mask < 0 || mask > 0xffffff) throw new RangeError(`bill type mask ${mask} out of 24 bits`);
  return [(mask >>> 16) & 0xff, (mask >>> 8) & 0xff, mask & 0xff];
}

export function maskFromBytes(bytes: Uint8Array, offset = 0): number {
  return ((bytes[offset] << 16) | (bytes[offset + 1] << 8) | bytes[offset + 2]) >>> 0;
}

export function maskOf(billTypes: Iterable<number>): number {
  let m = 0;
  for (const t of billTypes) {
    if (!Number.isInteger(t) || t < 0 || t >= BILL_TYPES) throw new RangeError(`bill type ${t} out of 0..23`);
    m |= 1 << t;
  }
  return m >>> 0;
}

/** ENABLE BILL TYPES: which types are accepted, and which of those stop in escrow for STACK/RETURN. */
export function enableBillTypesRequest(enableMask: number, escrowMask: number): number[] {
  return [Command.EnableBillTypes, ...maskBytes(enableMask), ...maskBytes(escrowMask)];
}
