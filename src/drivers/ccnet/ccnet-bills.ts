/**
 * What the bill validator's table (CashCode CCNET, "GET BILL TABLE": 24 entries of value, country code
 * and bill type) means for this unit: the usable types (country and configured values), the value of a
 * bill type, and the ENABLE BILL TYPES mask for the values a payment leaves open. Pure: no I/O.
 */
import { maskOf } from '../../codecs/ccnet/commands.js';
import type { BillTypeEntry } from '../../codecs/ccnet/bill-table.js';

export class CcnetBills {
  private entries: BillTypeEntry[] | null = null;
  /** The table must be read (again) before it values a bill: never read, or the port was reopened. */
  stale = true;

  constructor(
    private readonly acceptValues: number[] | null,
    private readonly country: string | null,
  ) {}

  get table(): BillTypeEntry[] | null {
    return this.entries ? this.entries.map((e) => ({ ...e })) : null;
  }

  /** Takes a table read from the validator; true if it differs from the one it replaces. */
  replace(table: BillTypeEntry[]): boolean {
    const changed = this.entries !== null && JSON.stringify(table) !== JSON.stringify(this.entries);
    this.entries = table;
    this.stale = false;
    return changed;
  }

  usable(): BillTypeEntry[] {
    return (this.entries ?? []).filter(
      (e) => e.value !== null && (this.country === null || e.country === this.country) && (this.acceptValues === null || this.acceptValues.includes(e.value)),
    );
  }

  denominations(): number[] {
    const values = this.usable().map((e) => e.value!);
    if (values.length > 0) return [...new Set(values)].sort((a, b) => a - b);
    return [...(this.acceptValues ?? [])].sort((a, b) => a - b);
  }

  /** The value of a bill type: from the whole table (a STACKED bill is money in the cassette, whatever
   * the configuration says now), or only among the types this unit accepts (escrow decisions). */
  valueOf(billType: number, acceptedOnly = false): number | null {
    const entries = acceptedOnly ? this.usable() : (this.entries ?? []);
    return entries.find((e) => e.billType === billType)?.value ?? null;
  }

  /** The ENABLE BILL TYPES mask: the usable types, narrowed to the values left open (null: all). */
  mask(accepts: ((value: number) => boolean) | null): number {
    return maskOf(this.usable().filter((e) => accepts === null || accepts(e.value!)).map((e) => e.billType));
  }
}
