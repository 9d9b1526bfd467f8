import t from 'tap';
import { decodeBillTable, encodeBillTable } from '../../../src/codecs/ccnet/bill-table.js';
import { maskBytes, maskFromBytes, maskOf } from '../../../src/codecs/ccnet/commands.js';

// A Russian CashCode table as the validator sends it: 10, 50, 100, 500, 1000, 5000 RUB on types 0..5
// (digit, 'RUS', exponent), 200 and 2000 on types 6..7, the rest empty.
function rusTable(): Buffer {
  const b = Buffer.alloc(120);
  const rows: Array<[number, number, number]> = [
    [0, 1, 1], [1, 5, 1], [2, 1, 2], [3, 5, 2], [4, 1, 3], [5, 5, 3], [6, 2, 2], [7, 2, 3],
  ];
  for (const [type, digit, exp] of rows) {
    b[type * 5] = digit;
    b.write('RUS', type * 5 + 1, 'ascii');
    b[type * 5 + 4] = exp;
  }
  return b;
}

t.test('decodes a 24 x 5 byte table into kopeck values', async (t) => {
  const table = decodeBillTable(rusTable());
  t.same(table.map((e) => [e.billType, e.country, e.value]), [
    [0, 'RUS', 1000], [1, 'RUS', 5000], [2, 'RUS', 10000], [3, 'RUS', 50000],
    [4, 'RUS', 100000], [5, 'RUS', 500000], [6, 'RUS', 20000], [7, 'RUS', 200000],
  ]);
});

t.test('a negative exponent (top bit) gives fractions of the major unit', async (t) => {
  const b = Buffer.alloc(120);
  b[0] = 50; b.write('EUR', 1, 'ascii'); b[4] = 0x81; // 50 x 10^-1 = 5.00 EUR
  b[5] = 5; b.write('XXX', 6, 'ascii'); b[9] = 0x83; // 5 x 10^-3: not whole cents
  const table = decodeBillTable(b);
  t.equal(table[0].value, 500);
  t.equal(table[0].exponent, -1);
  t.equal(table[1].value, null);
});

t.test('wrong size is refused', async (t) => {
  t.throws(() => decodeBillTable(Buffer.alloc(119)));
});

t.test('encode then decode round-trips (simulator tables)', async (t) => {
  const entries = [
    { billType: 0, country: 'RUS', value: 1000 },
    { billType: 2, country: 'RUS', value: 10000 },
    { billType: 23, country: 'RUS', value: 500000 },
  ];
  const back = decodeBillTable(encodeBillTable(entries));
  t.same(back.map((e) => ({ billType: e.billType, country: e.country, value: e.value })), entries);
  t.same(encodeBillTable([{ billType: 1, country: 'RUS', value: 5000 }]).subarray(5, 10), Buffer.from([5, 0x52, 0x55, 0x53, 1]));
  t.throws(() => encodeBillTable([{ billType: 0, country: 'RUS', value: 2570 }]));
});

t.test('bill type masks: bit n = type n, types 23..16 in the first byte', async (t) => {
  t.same(maskBytes(maskOf([2, 3, 4, 5, 6])), [0, 0, 0x7c]);
  t.same(maskBytes(maskOf([23, 8, 0])), [0x80, 0x01, 0x01]);
  t.equal(maskFromBytes(Uint8Array.from([0x80, 0x01, 0x01])), (1 << 23) | (1 << 8) | 1);
  t.throws(() => maskOf([24]));
  t.throws(() => maskBytes(1 << 24));
});
