/**
 * A day of random sessions (seeded; the seed is printed, TOTALS_SEED=N repeats it) through the real
 * store, then the totals (payment/daily-totals.ts) over what the store wrote: for every denomination
 * "opening + taken + refilled - change - refunds - collected = inside", where opening and inside are the
 * store's inventory counters before and after the day, and the other columns come from the records.
 */
import t from 'tap';
import { dayTotals, sinceCollectionTotals } from '../../../src/payment/daily-totals.js';
import { addCounts, type CashInventory } from '../../../src/payment/cash-inventory.js';
import { readCaseInputs } from '../../../src/services/store/case-files.js';
import { SessionStore } from '../../../src/services/store/session-store.js';
import { tempDir } from '../../helpers/daemon.js';
import { MoneyDay, rng } from '../../helpers/money-day.js';

const DAY = Date.UTC(2026, 5, 15);
const perValue = (i: CashInventory) => addCounts(addCounts(i.cassette, i.box), i.hoppers);

t.test('a random day adds up per denomination against the inventory counters', async (t) => {
  const seed = Number(process.env.TOTALS_SEED ?? Math.floor(Math.random() * 2 ** 31));
  t.comment(`seed ${seed} (repeat with TOTALS_SEED=${seed})`);
  const dir = tempDir('pp-totals-');
  const store = await SessionStore.open(dir);
  const r = rng(seed);
  const day = new MoneyDay(store, r, DAY - 3_600_000);
  // The evening before: the opening count and a few customers (not in the day's figures).
  await day.refill(true);
  for (let i = 0; i < 3; i++) await day.customer();
  if (day.now >= DAY) throw new Error('the evening before ran into the day');
  day.now = DAY + 60_000;
  const opening = store.inventory();
  const before = { ...day.log };
  let events = 0;
  while (day.now < DAY + 20 * 3_600_000 && events < 80) {
    await day.event();
    events++;
  }
  const inside = store.inventory();
  const log = Object.fromEntries(Object.entries(day.log).map(([k, v]) => [k, v - before[k as keyof typeof before]]));
  t.comment(`day: ${events} events ${JSON.stringify(log)}`);
  // The next morning: not in the day's figures either.
  day.now = DAY + 86_400_000 + 60_000;
  await day.customer();

  const records = await readCaseInputs(dir);
  const tot = dayTotals(records, DAY, DAY + 86_400_000);
  const open = perValue(opening);
  const end = perValue(inside);
  for (const line of tot.denominations) {
    const v = String(line.value);
    t.equal(line.opening, open[v] ?? 0, `${line.value}: opening = the counters before the day`);
    t.equal(line.inside, end[v] ?? 0, `${line.value}: inside = the counters after the day`);
    t.equal(line.opening + line.taken + line.refilled - line.change - line.refunds - line.collected, line.inside, `${line.value}: opening + taken + refilled - change - refunds - collected = inside (${JSON.stringify(line)})`);
  }
  t.ok(tot.addsUp, 'the day adds up');
  t.equal(tot.paid.cash.count, log.paidCash, 'paid in cash');
  t.equal(tot.paid.card.count, log.paidCard, 'paid by card');
  t.equal(tot.cancelled.count, log.cancelled, 'cancelled');
  t.equal(tot.unattributed.count, log.unattributed, 'coins outside a session');
  t.equal(tot.collections.count, log.collections, 'collections');
  t.equal(tot.refills.count, log.refills, 'refills');
  t.equal(tot.rest.owed + tot.unattributed.rest, log.restOwed, 'rest amounts owed');
  t.ok(tot.denominations.some((l) => l.taken > 0) && tot.denominations.some((l) => l.change > 0), 'money moved both ways');

  const since = sinceCollectionTotals(records, day.now);
  t.ok(since.addsUp, 'since the last collection adds up too');
  t.same(
    Object.fromEntries(since.denominations.filter((l) => l.inside).map((l) => [String(l.value), l.inside])),
    perValue(store.inventory()),
    'since the last collection: inside = the counters now',
  );
});

t.test('a record that disagrees with the counters shows as a difference, not hidden', async (t) => {
  const dir = tempDir('pp-totals-');
  const store = await SessionStore.open(dir);
  const day = new MoneyDay(store, rng(7), DAY + 60_000);
  await day.refill(true);
  for (let i = 0; i < 5; i++) await day.customer();
  const records = await readCaseInputs(dir);
  // A credit the counters never saw (as if a write had been lost between the two).
  const s = records.sessions.find((x) => x.state === 'paid' && x.payType === 0)!;
  s.credits = [...s.credits, { source: 'coin', value: 500, device: 'coin', ref: 'ghost', at: s.updatedAt }];
  const tot = dayTotals(records, DAY, DAY + 86_400_000);
  t.notOk(tot.addsUp);
  t.match(tot.denominations.find((l) => l.value === 500), { difference: -1 });
  t.equal(tot.cashInside.difference, -500);
});
