import t from 'tap';
import { makeChange } from '../../src/base/change.js';
import { rng } from '../codecs/pulse/pulse-fixtures.js';

/** Largest sum <= amount payable from levels, by brute force (small cases only). */
function bestPayable(amount: number, levels: Record<number, number>): number {
  const values = Object.keys(levels).map(Number);
  let best = 0;
  const go = (i: number, sum: number) => {
    if (sum > amount) return;
    if (i === values.length) {
      best = Math.max(best, sum);
      return;
    }
    for (let k = 0; k <= levels[values[i]]; k++) go(i + 1, sum + k * values[i]);
  };
  go(0, 0);
  return best;
}

function checkPlan(t: { fail(msg: string): void }, amount: number, levels: Record<number, number>, label: string) {
  const plan = makeChange(amount, levels);
  const sum = plan.coins.reduce((a, [v, n]) => a + v * n, 0);
  if (plan.paid > amount) t.fail(`${label}: pays more than due`);
  if (plan.paid + plan.rest !== amount) t.fail(`${label}: rest is not what was not paid`);
  if (sum !== plan.paid) t.fail(`${label}: coins do not add up to paid`);
  for (const [v, n] of plan.coins) if (n > (levels[v] ?? 0) || n <= 0) t.fail(`${label}: ${n} coins of ${v} from a level of ${levels[v]}`);
  return plan;
}


t.test('property: never more than due; rest = amount - paid; coins within levels; paid is the best possible', async (t) => {
  const random = rng(2024);
  const systems = [[100, 200, 500, 1000], [100, 500, 1000], [300, 400], [1000, 5000], [100, 250, 400], [1, 7, 10]];
  let cases = 0;
  for (let i = 0; i < 1500; i++) {
    const sys = systems[i % systems.length];
    const levels: Record<number, number> = {};
    for (const v of sys) levels[v] = Math.floor(random() * 6) * (random() < 0.2 ? 0 : 1);
    const amount = Math.floor(random() * 3000);
    const plan = checkPlan(t, amount, levels, `case ${i} amount ${amount} levels ${JSON.stringify(levels)}`);
    if (plan.paid !== bestPayable(amount, levels)) t.fail(`case ${i}: paid ${plan.paid} but ${bestPayable(amount, levels)} was payable (${amount}, ${JSON.stringify(levels)})`);
    cases++;
  }
  t.equal(cases, 1500);
});

t.test('property holds for large amounts (greedy path) too', async (t) => {
  const random = rng(7);
  for (let i = 0; i < 200; i++) {
    const levels = { 1: Math.floor(random() * 1000), 3: Math.floor(random() * 1000), 1000: Math.floor(random() * 1000) };
    const amount = 200_001 + Math.floor(random() * 1_000_000);
    checkPlan(t, amount, levels, `large ${i}`);
  }
  t.pass('checked 200 large cases');
});

t.test('greedy would fail: 600 from 400s and 300s is paid exactly', async (t) => {
  t.same(makeChange(600, { 400: 5, 300: 5 }), { coins: [[300, 2]], paid: 600, rest: 0 });
});

t.test('prefers denominations in good supply among exact plans', async (t) => {
  // 10 RUB from a scarce 10-RUB hopper (3 coins) or five 2-RUB coins from a full one: the 2s.
  t.same(makeChange(1000, { 1000: 3, 200: 100 }).coins, [[200, 5]]);
  // Both in good supply: fewest coins.
  t.same(makeChange(1000, { 1000: 50, 200: 100 }).coins, [[1000, 1]]);
  // The scarce hopper is still used when it is the only way to pay exactly.
  t.same(makeChange(1100, { 1000: 3, 200: 100 }), { coins: [[200, 5]], paid: 1000, rest: 100 });
  t.same(makeChange(1100, { 1000: 3, 100: 1 }).coins, [[1000, 1], [100, 1]]);
  // Low-water per value and its cost are settings.
  t.same(makeChange(1000, { 1000: 3, 200: 100 }, { lowWater: 2 }).coins, [[1000, 1]]);
  t.same(makeChange(1000, { 1000: 3, 200: 100 }, { scarceCost: 1 }).coins, [[1000, 1]]);
});

t.test('nothing to pay or nothing to pay with', async (t) => {
  t.same(makeChange(0, { 100: 5 }), { coins: [], paid: 0, rest: 0 });
  t.same(makeChange(500, {}), { coins: [], paid: 0, rest: 500 });
  t.same(makeChange(500, { 100: 0 }), { coins: [], paid: 0, rest: 500 });
});
