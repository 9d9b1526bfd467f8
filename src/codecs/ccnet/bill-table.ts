/**
 * GET BILL TABLE response (CashCode CCNET, "GET BILL TABLE"): 24 entries of 5 bytes, one per bill type:
 * the first significant digit(s) as a binary byte, the country code in 3 ASCII letters, and a decimal
 * exponent whose top bit is its sign (set: negative). Value = digit x 10^exponent in the currency's
 * major unit. An entry with digit 0 is an unused bill type.
 */
import { BILL_TYPES } from './commands.js';

export interface BillTypeEntry {
  billType: number;
  /** ISO 4217 letters as the validator reports them (RUS for roubles on CashCode firmware). */
  country: string;
  /** Minor units (kopecks): digit x 10^(exponent + 2); null when not a whole number of kopecks. */
  value: number | null;
  digit: number;
  exponent: number;
}

export function decodeBillTable(data: Uint8Array): BillTypeEntry[] {
  if (data.length !== BILL_TYPES * 5) throw new RangeError(`bill table is ${data.length} bytes, expected ${BILL_TYPES * 5}`);
  const out: BillTypeEntry[] = [];
  for (let t = 0; t < BILL_TYPES; t++) {
    const o = t * 5;
    const digit = data[o];
    if (digit === 0) continue;
    const e = data[o + 4];
    const exponent = e & 0x80 ? -(e & 0x7f) : e;
    const country = String.fromCharCode(data[o + 1], data[o + 2], data[o + 3]).replace(/[^\x20-\x7e]/g, '').trim();
    const p = exponent + 2;
    let value: number | null = null;
    if (p >= 0) value = digit * 10 ** p;
    else if (digit % 10 ** -p === 0) value = digit / 10 ** -p;
    if (value !== null && !Number.isSafeInteger(value)) value = null;
    out.push({ billType: t, country, value, digit, exponent });
  }
  return out;
}

/** Encodes a table for the simulator: entries by bill type, value in kopecks (a whole number of roubles or tens of kopecks). */
export function encodeBillTable(entries: Array<{ billType: number; country: string; value: number }>): Buffer {
  const out = Buffer.alloc(BILL_TYPES * 5);
  for (const { billType, country, value } of entries) {
    if (billType < 0 || billType >= BILL_TYPES) throw new RangeError(`bill type ${billType}`);
    // Trailing zeros go to the exponent, as CashCode tables do (100 RUB = 1 x 10^2).
    if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`value ${value} cannot be encoded`);
    let digit = value;
    let p = 0;
    while (digit % 10 === 0) {
      digit /= 10;
      p++;
    }
    if (digit > 255) throw new RangeError(`value ${value} cannot be encoded in one digit byte`);
    const exponent = p - 2;
    const o = billType * 5;
    out[o] = digit;
    out.write(country.padEnd(3).slice(0, 3), o + 1, 'ascii');
    out[o + 4] = exponent < 0 ? 0x80 | -exponent : exponent;
  }
  return out;
}
