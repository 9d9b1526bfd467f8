import t from 'tap';
import { SimLines, playEdges } from '../../../src/transports/gpio/sim-lines.js';
import { PulseCashAcceptor, pulseBillValidator, COIN_PULSE_TIMINGS, BILL_PULSE_TIMINGS } from '../../../src/drivers/pulse/pulse-acceptor.js';
import { PulseDeviceSim } from '../../../src/drivers/pulse/pulse-sim.js';
import { MemoryLog } from '../../../src/drivers/driver-log.js';
import type { CashCredit } from '../../../src/drivers/interfaces.js';
import { rng, trains } from '../../codecs/pulse/pulse-fixtures.js';
import { waitFor } from '../../helpers/wait.js';

const COINS = { 1: 100, 2: 200, 5: 500, 10: 1000 };
const PULSE = 4;
const INHIBIT = 17;

async function setup(values: Record<number, number> = COINS, extra: { creditAttempts?: number; retryDelayMs?: number } = {}) {
  const lines = new SimLines();
  const log = new MemoryLog();
  // Reference wiring: pulse output open collector to a pulled-up input (active low); inhibit through a
  // relay driver that blocks when driven high.
  const pulse = await lines.input(PULSE, { activeLow: true, pull: 'up' });
  const inhibit = await lines.output(INHIBIT, { initial: 1 });
  const acceptor = new PulseCashAcceptor({ name: 'coins', kind: 'coin', pulse, inhibit, decoder: { ...COIN_PULSE_TIMINGS, values }, log, retryDelayMs: 5, ...extra });
  const credits: CashCredit[] = [];
  acceptor.onCredit(async (c) => {
    credits.push(c);
  });
  return { lines, log, acceptor, credits, wire: lines.wire(PULSE), inhibitWire: lines.wire(INHIBIT) };
}

t.test('inhibit follows setEnabled; blocked before start and after stop', async (t) => {
  const s = await setup();
  t.equal(s.inhibitWire.get(), 1);
  await s.acceptor.setEnabled(true);
  t.equal(s.inhibitWire.get(), 1, 'not open before start');
  await s.acceptor.start();
  t.equal(s.inhibitWire.get(), 0);
  t.match(s.acceptor.health(), { state: 'ok', detail: 'accepting' });
  await s.acceptor.setEnabled(false);
  t.equal(s.inhibitWire.get(), 1);
  await s.acceptor.setEnabled(true);
  await s.acceptor.stop();
  t.equal(s.inhibitWire.get(), 1);
  t.equal(s.acceptor.health().state, 'offline');
  t.same(s.acceptor.denominations(), [100, 200, 500, 1000]);
});

t.test('recorded trains with jitter, bounce and noise: every coin credited in order, once', async (t) => {
  const s = await setup();
  await s.acceptor.start();
  await s.acceptor.setEnabled(true);
  const random = rng(5);
  const counts = Array.from({ length: 30 }, () => [1, 2, 5, 10][Math.floor(random() * 4)]);
  // Active low: the wire idles at 1; the fixture's levels are logical, so invert them.
  const seq = trains(counts.map((pulses) => ({ pulses, pulseMs: 50, gapMs: 50, jitterMs: 8, bounce: 0.2 })), 400, random, 1);
  s.wire.set(1);
  playEdges(s.wire, seq.map(([ms, l]) => [ms, (1 - l) as 0 | 1]));
  await waitFor('all credited', () => s.credits.length === counts.length);
  await s.acceptor.idle();
  t.same(s.credits.map((c) => c.value), counts.map((c) => COINS[c as 1 | 2 | 5 | 10]));
  t.equal(new Set(s.credits.map((c) => c.ref)).size, counts.length, 'refs unique');
  await s.acceptor.stop();
});

t.test('an unknown pulse count is logged as an error and never credited', async (t) => {
  const s = await setup();
  await s.acceptor.start();
  const sim = new PulseDeviceSim(s.wire, { pulsesFor: { 100: 1 }, activeLow: true, pulseMs: 30, gapMs: 30 });
  await sim.pulses(3);
  await waitFor('degraded', () => s.acceptor.health().state === 'degraded');
  t.equal(s.acceptor.health().detail, 'unknown pulse count 3');
  t.same(s.credits, []);
  t.ok(s.log.at('error').some((e) => e.msg === 'pulse: unknown pulse count, not credited'));
  await sim.pulses(1);
  await waitFor('good coin credited', () => s.credits.length === 1);
  t.equal(s.acceptor.health().state, 'ok');
  await s.acceptor.stop();
});

t.test('a failed store is retried with the same ref; a store that never works is a fault', async (t) => {
  const s = await setup();
  const refs: string[] = [];
  s.acceptor.onCredit(async (c) => {
    refs.push(c.ref);
    if (refs.length < 3) throw new Error('disk full');
    s.credits.push(c);
  });
  await s.acceptor.start();
  const base = process.hrtime.bigint();
  s.wire.set(1);
  playEdges(s.wire, [[0, 0], [50, 1]], base);
  await waitFor('stored on the third attempt', () => s.credits.length === 1);
  t.equal(new Set(refs).size, 1);
  t.equal(refs.length, 3);

  s.acceptor.onCredit(async () => {
    throw new Error('disk gone');
  });
  playEdges(s.wire, [[0, 0], [50, 1]]);
  await waitFor('fault', () => s.acceptor.health().state === 'fault');
  t.match(s.acceptor.health().detail, /taken but not credited/);
  await s.acceptor.stop();
});

t.test('a pulse line stuck active is a fault; the train is spoilt, not credited', async (t) => {
  const s = await setup();
  await s.acceptor.start();
  s.wire.set(1);
  s.wire.set(0);
  await waitFor('stuck reported', () => s.acceptor.health().state === 'fault');
  t.equal(s.acceptor.health().detail, 'pulse line stuck active');
  s.wire.set(1);
  await waitFor('spoilt reported', () => s.acceptor.health().detail.startsWith('spoilt'));
  t.same(s.credits, []);
  await s.acceptor.stop();
});

t.test('the real-time simulator refuses coins while inhibited', async (t) => {
  const s = await setup();
  await s.acceptor.start();
  const sim = new PulseDeviceSim(s.wire, { pulsesFor: { 100: 1, 500: 5 }, activeLow: true, pulseMs: 25, gapMs: 25, inhibit: { wire: s.inhibitWire, blockingLevel: 1 } });
  t.equal(await sim.insert(500), 'refused');
  await s.acceptor.setEnabled(true);
  t.equal(await sim.insert(500), 'inserted');
  t.equal(await sim.insert(300), 'unknown');
  await waitFor('credited', () => s.credits.length === 1);
  t.equal(s.credits[0].value, 500);
  await s.acceptor.stop();
});

t.test('a bill validator in pulse mode: same decoder, its own table, kind bill', async (t) => {
  const lines = new SimLines();
  const pulse = await lines.input(5, { activeLow: true, pull: 'up' });
  const inhibit = await lines.output(6, { initial: 1 });
  const bills = pulseBillValidator({ name: 'bills', pulse, inhibit, decoder: { ...BILL_PULSE_TIMINGS, values: { 1: 1000, 5: 5000, 10: 10000 } } });
  t.equal(bills.kind, 'bill');
  const credits: number[] = [];
  bills.onCredit(async (c) => {
    credits.push(c.value);
  });
  await bills.start();
  await bills.setEnabled(true);
  const sim = new PulseDeviceSim(lines.wire(5), { pulsesFor: { 1000: 1, 5000: 5, 10000: 10 }, activeLow: true, pulseMs: 50, gapMs: 50 });
  await sim.insert(5000);
  await sim.insert(1000);
  await waitFor('two bills', () => credits.length === 2);
  t.same(credits, [5000, 1000]);
  await bills.stop();
});

t.test('stop finishes a train in progress: a coin taken is still credited', async (t) => {
  const s = await setup();
  await s.acceptor.start();
  s.wire.set(1);
  playEdges(s.wire, [[0, 0], [50, 1], [100, 0], [150, 1]], process.hrtime.bigint() - 200_000_000n);
  await s.acceptor.stop();
  t.same(s.credits.map((c) => c.value), [200]);
});
