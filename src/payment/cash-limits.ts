/**
 * What the unit can still handle (docs/design.md, "Running low and full"). Pure: no I/O.
 *
 * - The cassette is full when the bills stacked since the last collection reach the board profile's
 *   cassette capacity (nearly full at 90 %): no bill is taken until a collection.
 * - The hoppers are low when they cannot make change for the usual bill: change-making
 *   (base/change.ts) cannot pay exactly the largest change that bill may need, the bill minus the
 *   smallest coin the hoppers hold by value (a purchase of one coin paid with that bill).
 * - In a payment, a bill is taken only if it does not exceed what is still due or its change can be
 *   paid now; the others are closed at the validator (inhibit / ENABLE BILL TYPES), so a validator
 *   without escrow never stacks a bill whose change the unit cannot give.
 * Both states end by themselves: a collection empties the cassette count, a refill raises the levels.
 */
import { makeChange, type ChangeOptions } from '../base/change.js';
import { billCount, cassetteLevel, type CashInventory, type CassetteLevel } from './cash-inventory.js';

export interface CashLimitsInput {
  inventory: CashInventory;
  /** The change dispenser's usable fill levels, by coin value (what change-making can use now). */
  hopperLevels: Record<number, number>;
  /** The bill customers usually pay with, kopecks; null: the hoppers are never called low. */
  usualBill: number | null;
  /** Bills the cassette holds (board profile); null: unknown, never called full. */
  cassetteCapacity: number | null;
  change?: ChangeOptions;
}

export interface CashLimits {
  cassette: { bills: number; capacity: number | null; level: CassetteLevel };
  hoppers: { low: boolean; usualBill: number | null; largestChange: number; shortBy: number };
  /** Whether bills are taken at all (false while the cassette is full). */
  billsAccepted: boolean;
  /** English reasons for the status page's attention list and the logs (empty: none). */
  reasons: string[];
}

/** The smallest coin value with coins in the hoppers, or null when they are empty. */
function smallestCoin(levels: Record<number, number>): number | null {
  const values = Object.entries(levels)
    .filter(([, n]) => n > 0)
    .map(([v]) => Number(v));
  return values.length ? Math.min(...values) : null;
}

export function cashLimits(i: CashLimitsInput): CashLimits {
  const bills = billCount(i.inventory);
  const level = cassetteLevel(bills, i.cassetteCapacity);
  const reasons: string[] = [];
  if (level === 'full') reasons.push(`bill cassette full (${bills} of ${i.cassetteCapacity}): collect`);
  else if (level === 'nearly-full') reasons.push(`bill cassette nearly full (${bills} of ${i.cassetteCapacity})`);

  let largestChange = 0;
  let shortBy = 0;
  if (i.usualBill !== null) {
    const coin = smallestCoin(i.hopperLevels);
    // With no coins at all the largest change is the bill minus the smallest coin the unit could ever
    // pay (1 kopeck), and none of it can be paid.
    largestChange = i.usualBill - (coin ?? 1);
    shortBy = largestChange > 0 ? makeChange(largestChange, i.hopperLevels, i.change).rest : 0;
  }
  const low = shortBy > 0;
  if (low) reasons.push(`hoppers low: change for a ${i.usualBill} bill cannot be made (${shortBy} short): refill`);
  return {
    cassette: { bills, capacity: i.cassetteCapacity, level },
    hoppers: { low, usualBill: i.usualBill, largestChange, shortBy },
    billsAccepted: level !== 'full',
    reasons,
  };
}

/**
 * The bill values to leave open in a payment with `due` still to pay: a bill no larger than `due`
 * needs no change; a larger one only if `payable(change) === change`. None while the cassette is full.
 */
export function acceptableBills(values: readonly number[], due: number, payable: ((amount: number) => number) | null, billsAccepted: boolean): number[] {
  if (!billsAccepted) return [];
  return values.filter((v) => v <= due || (payable !== null && payable(v - due) === v - due));
}
