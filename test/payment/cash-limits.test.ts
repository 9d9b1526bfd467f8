/** Running low and full (payment/cash-limits.ts): cassette against capacity, hoppers against the usual bill. */
import t from 'tap';
import { acceptableBills, cashLimits } from '../../src/payment/cash-limits.js';
import { emptyInventory } from '../../src/payment/cash-inventory.js';

t.test('the cassette: nearly full at 90 %, full at capacity: no bill taken', async (t) => {
  const inv = { ...emptyInventory(), cassette: { 5000: 5, 10000: 4 } };
  t.same(cashLimits({ inventory: inv, hopperLevels: {}, usualBill: null, cassetteCapacity: 10 }).cassette, { bills: 9, capacity: 10, level: 'nearly-full' });
  const full = cashLimits({ inventory: { ...inv, cassette: { 5000: 10 } }, hopperLevels: {}, usualBill: null, cassetteCapacity: 10 });
  t.equal(full.billsAccepted, false);
  t.match(full.reasons.join(), /bill cassette full \(10 of 10\)/);
  t.equal(cashLimits({ inventory: inv, hopperLevels: {}, usualBill: null, cassetteCapacity: null }).billsAccepted, true, 'unknown capacity: never full');
});

t.test('the hoppers are low when change-making cannot pay the usual bill less the smallest coin', async (t) => {
  const ok = cashLimits({ inventory: emptyInventory(), hopperLevels: { 1000: 9, 500: 1, 100: 4 }, usualBill: 10_000, cassetteCapacity: null });
  t.same(ok.hoppers, { low: false, usualBill: 10_000, largestChange: 9900, shortBy: 0 }, '99 roubles: 9 x 10 + 5 + 4 x 1');
  const low = cashLimits({ inventory: emptyInventory(), hopperLevels: { 1000: 9, 500: 1, 100: 3 }, usualBill: 10_000, cassetteCapacity: null });
  t.equal(low.hoppers.low, true);
  t.equal(low.hoppers.shortBy, 100);
  t.match(low.reasons.join(), /hoppers low: change for a 10000 bill cannot be made \(100 short\)/);
  t.equal(cashLimits({ inventory: emptyInventory(), hopperLevels: {}, usualBill: 10_000, cassetteCapacity: null }).hoppers.low, true, 'empty hoppers are low');
  t.equal(cashLimits({ inventory: emptyInventory(), hopperLevels: {}, usualBill: null, cassetteCapacity: null }).hoppers.low, false, 'no usual bill: never low');
});

t.test('bills left open in a payment: not over what is due, or with change that can be paid', async (t) => {
  const payable = (amount: number) => Math.min(amount, 2000);
  t.same(acceptableBills([5000, 10000, 50000], 9000, payable, true), [5000, 10000], '10000 leaves 1000 change: payable; 50000 leaves 41000: not');
  t.same(acceptableBills([5000, 10000], 9000, null, true), [5000], 'no dispenser: only bills that need no change');
  t.same(acceptableBills([5000, 10000], 9000, payable, false), [], 'cassette full: none');
});
