import t from 'tap';
import { SimLines } from '../../../src/transports/gpio/sim-lines.js';
import { HopperDispenser } from '../../../src/drivers/hopper/hopper-dispenser.js';
import { simHopper } from './hopper-harness.js';

async function bank(counts: Record<number, number>, levels: Record<number, number>) {
  const lines = new SimLines();
  const hs = [];
  let pin = 0;
  for (const value of [100, 200, 500, 1000]) {
    hs.push(await simHopper(lines, pin, value, { coins: counts[value] ?? 0 }));
    pin += 4;
  }
  const saved: Array<Record<number, number>> = [];
  const dispenser = new HopperDispenser({ hoppers: hs.map((h) => h.hopper), levels, onLevels: (l) => saved.push(l), lowLevel: 5 });
  await dispenser.start();
  return { dispenser, hs, saved };
}

t.test('pays change coin by coin from several hoppers; levels counted down and reported', async (t) => {
  const { dispenser, hs, saved } = await bank({ 100: 30, 200: 30, 500: 30, 1000: 30 }, { 100: 30, 200: 30, 500: 30, 1000: 30 });
  t.teardown(() => dispenser.stop());
  t.equal(dispenser.payable(1700), 1700);
  const coins: number[] = [];
  const r = await dispenser.dispense(1700, async (v) => {
    coins.push(v);
  });
  t.same(r, { paid: 1700, rest: 0 });
  t.same(coins.sort((a, b) => b - a), [1000, 500, 200]);
  t.same(dispenser.levels(), { 100: 30, 200: 29, 500: 29, 1000: 29 });
  t.same(saved.at(-1), dispenser.levels());
  t.same(hs.map((h) => h.device.dropped), [0, 1, 1, 1]);
  t.match(dispenser.health(), { state: 'ok' });
});

t.test('a hopper that runs empty mid-payout (its count was wrong): replanned with the others', async (t) => {
  // The 10-RUB hopper is believed to hold 30 but holds 1.
  const { dispenser, hs } = await bank({ 100: 30, 200: 30, 500: 30, 1000: 1 }, { 100: 30, 200: 30, 500: 30, 1000: 30 });
  t.teardown(() => dispenser.stop());
  let sum = 0;
  const r = await dispenser.dispense(3000, async (v) => {
    sum += v;
  });
  t.same(r, { paid: 3000, rest: 0 });
  t.equal(sum, 3000);
  t.equal(hs[3].device.dropped, 1);
  t.equal(dispenser.levels()[1000], 0, 'the sensor corrected the level');
  t.match(dispenser.health(), { state: 'degraded', detail: /1000: empty/ });
});

t.test('everything runs empty: what could not be paid is the rest amount', async (t) => {
  const { dispenser } = await bank({ 100: 2, 200: 1, 500: 0, 1000: 0 }, { 100: 10, 200: 10, 500: 0, 1000: 0 });
  t.teardown(() => dispenser.stop());
  let sum = 0;
  const r = await dispenser.dispense(1500, async (v) => {
    sum += v;
  });
  t.same(r, { paid: 400, rest: 1100 });
  t.equal(sum, 400);
  t.equal(dispenser.health().state, 'fault');
  t.equal(dispenser.payable(100), 0);
});

t.test('a jammed hopper is left out until the technician clears it; levels settable and refillable', async (t) => {
  const { dispenser, hs } = await bank({ 100: 50, 200: 50, 500: 50, 1000: 50 }, { 100: 50, 200: 50, 500: 50, 1000: 50 });
  t.teardown(() => dispenser.stop());
  hs[2].device.jamAfter = 0;
  const r = await dispenser.dispense(500, async () => {});
  t.same(r, { paid: 500, rest: 0 }, 'paid with 200+200+100 instead');
  t.match(dispenser.health(), { state: 'degraded', detail: /500: jammed/ });
  t.equal(dispenser.payable(500), 500);
  hs[2].device.refill(50);
  dispenser.setLevel(500, 50);
  t.equal(dispenser.health().state, 'ok');
  dispenser.refill(100, 7);
  t.equal(dispenser.levels()[100], 57 - 1);
  t.throws(() => dispenser.setLevel(300, 1));
});

t.test('prefers values in good supply (change.ts), so a nearly empty hopper is spared', async (t) => {
  const { dispenser, hs } = await bank({ 100: 50, 200: 50, 500: 50, 1000: 3 }, { 100: 50, 200: 50, 500: 50, 1000: 3 });
  t.teardown(() => dispenser.stop());
  await dispenser.dispense(1000, async () => {});
  t.equal(hs[3].device.dropped, 0);
  t.equal(hs[2].device.dropped, 2);
});
