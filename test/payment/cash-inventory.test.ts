/** The pure inventory arithmetic (payment/cash-inventory.ts). */
import t from 'tap';
import {
  addCounts,
  applyMoves,
  cassetteLevel,
  checkCounts,
  collectionFigures,
  countsTotal,
  creditMoves,
  emptyInventory,
  movesDelta,
} from '../../src/payment/cash-inventory.js';

t.test('counts add, subtract and drop zeros, keys in value order', async (t) => {
  t.same(addCounts({ 500: 1, 100: 2 }, { 100: 2, 1000: 1 }, -1), { 500: 1, 1000: -1 });
  t.same(Object.keys(addCounts({ 1000: 1 }, { 100: 1 })), ['100', '1000']);
  t.equal(countsTotal({ 100: 3, 5000: 2 }), 10_300);
});

t.test('credits and dispensed coins move the right places; a later version moves only its delta', async (t) => {
  const v1 = creditMoves([{ source: 'bill', value: 1000 }, { source: 'card', value: 500 }], {});
  const v2 = creditMoves([{ source: 'bill', value: 1000 }, { source: 'coin', value: 100 }], { 200: 2 });
  const d = movesDelta(v2, v1);
  t.same(d, { bills: {}, coins: { 100: 1 }, dispensed: { 200: 2 } }, 'card money is not cash in the unit');
  t.same(applyMoves({ cassette: { 1000: 1 }, box: {}, hoppers: { 200: 5 } }, d), { cassette: { 1000: 1 }, box: { 100: 1 }, hoppers: { 200: 3 } });
});

t.test('a collection keeps counted, declared and the difference', async (t) => {
  const f = collectionFigures({ cassette: { 1000: 2 }, box: { 100: 3 }, hoppers: { 100: 9 } }, { 1000: 2, 100: 2 });
  t.same(f.difference, { 100: -1 });
  t.same(f.counted, { cassette: { 1000: 2 }, box: { 100: 3 } });
  t.same(collectionFigures(emptyInventory(), {}).difference, {});
});

t.test('operator counts are checked', async (t) => {
  t.equal(checkCounts({ 100: 5 }), null);
  t.match(checkCounts({ 100: 1.5 }), /whole/);
  t.match(checkCounts({ '0100': 1 }), /kopecks/);
  t.match(checkCounts([1]), /VALUE=COUNT/);
  t.match(checkCounts({ 300: 1 }, [100, 200]), /not one this unit handles/);
});

t.test('cassette level against capacity', async (t) => {
  t.equal(cassetteLevel(10, null), 'unknown');
  t.equal(cassetteLevel(899, 1000), 'ok');
  t.equal(cassetteLevel(900, 1000), 'nearly-full');
  t.equal(cassetteLevel(1000, 1000), 'full');
});
