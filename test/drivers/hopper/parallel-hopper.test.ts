import t from 'tap';
import { SimLines } from '../../../src/transports/gpio/sim-lines.js';
import { simHopper } from './hopper-harness.js';
import type { Edge, InputLine } from '../../../src/transports/gpio/line.js';

t.test('pays the count asked, one onCoin per coin, motor off at the count', async (t) => {
  const { hopper, device, motorWire } = await simHopper(new SimLines(), 0, 100, { coins: 20 });
  await hopper.start();
  const seen: number[] = [];
  const run = await hopper.pay(5, async () => {
    seen.push(device.dropped);
  });
  t.same(run, { coins: 5, stop: 'done' });
  t.same(seen, [1, 2, 3, 4, 5]);
  t.equal(device.dropped, 5);
  t.equal(motorWire.get(), 0);
  t.same(hopper.condition(), { kind: 'ok' });
  await hopper.stop();
});

t.test('late coins after the motor stops are counted and reported', async (t) => {
  const { hopper, device, log } = await simHopper(new SimLines(), 0, 100, { coins: 20, runDownCoins: 1 });
  await hopper.start();
  let n = 0;
  const run = await hopper.pay(3, async () => {
    n++;
  });
  t.same(run, { coins: 4, stop: 'done' });
  t.equal(n, 4);
  t.equal(device.dropped, 4);
  t.ok(log.at('warn').some((e) => e.msg === 'hopper: late coin counted'));
  await hopper.stop();
});

t.test('each onCoin is awaited before the payout resolves, in order', async (t) => {
  const { hopper } = await simHopper(new SimLines(), 0, 100, { coins: 20, coinIntervalMs: 30, pulseMs: 10 });
  await hopper.start();
  const done: number[] = [];
  let i = 0;
  const run = await hopper.pay(4, async () => {
    const me = ++i;
    // A slow store: slower than the coins come.
    await new Promise((r) => setTimeout(r, 60));
    done.push(me);
  });
  t.equal(run.coins, 4);
  t.same(done, [1, 2, 3, 4]);
  await hopper.stop();
});

t.test('runs empty: the sensor tells empty; no sensor: no-coin', async (t) => {
  const a = await simHopper(new SimLines(), 0, 100, { coins: 2 });
  await a.hopper.start();
  t.same(await a.hopper.pay(5, async () => {}), { coins: 2, stop: 'empty' });
  t.same(a.hopper.condition(), { kind: 'empty' });
  t.same(await a.hopper.pay(1, async () => {}), { coins: 0, stop: 'empty' }, 'empty sensor: motor not even started');
  await a.hopper.stop();

  const b = await simHopper(new SimLines(), 0, 100, { coins: 2 }, { sensor: false });
  await b.hopper.start();
  t.same(await b.hopper.pay(5, async () => {}), { coins: 2, stop: 'no-coin' });
  await b.hopper.stop();
});

t.test('jams mid-payout: without an error train it is jammed (sensor says not empty)', async (t) => {
  const { hopper, device, motorWire } = await simHopper(new SimLines(), 0, 100, { coins: 20 });
  device.jamAfter = 2;
  await hopper.start();
  t.same(await hopper.pay(5, async () => {}), { coins: 2, stop: 'jammed' });
  t.equal(motorWire.get(), 0);
  hopper.reset();
  device.refill(20);
  t.same(await hopper.pay(1, async () => {}), { coins: 1, stop: 'done' });
  await hopper.stop();
});

t.test('an error code train stops the motor and is reported with its meaning', async (t) => {
  const { hopper, device } = await simHopper(new SimLines(), 0, 100, { coins: 20 }, { errorLine: true, driver: { noCoinTimeoutMs: 2_000 } });
  device.jamAfter = 1;
  device.jamErrorCode = 3;
  await hopper.start();
  t.same(await hopper.pay(5, async () => {}), { coins: 1, stop: 'error', errorCode: 3 });
  t.same(hopper.condition(), { kind: 'error', code: 3, meaning: 'coin jam at the exit' });
  await hopper.stop();
});

t.test('a failing onCoin (store down) makes the payout reject after the motor stopped', async (t) => {
  const { hopper, motorWire } = await simHopper(new SimLines(), 0, 100, { coins: 20 });
  await hopper.start();
  await t.rejects(hopper.pay(2, async () => {
    throw new Error('store down');
  }), /store down/);
  t.equal(motorWire.get(), 0);
  await hopper.stop();
});

t.test('coin-out pulses a late reader of the line missed (Edge.missed) are still counted', async (t) => {
  // Regression: a sysfs GPIO read late by more than a coin-out pulse saw no pulse at all, and the hopper
  // paid on past the count asked.
  let emit: ((e: Edge) => void) | null = null;
  const coinOut: InputLine = { name: 'fake', read: async () => 0, onEdge: (h) => ((emit = h), () => (emit = null)), sync: async () => process.hrtime.bigint(), close: async () => undefined };
  const { hopper } = await simHopper(new SimLines(), 0, 100, { coins: 20 }, { sensor: false, driver: { coinOut } });
  await hopper.start();
  const ms = (n: number) => process.hrtime.bigint() + BigInt(n * 1e6);
  let coins = 0;
  const run = hopper.pay(3, async () => {
    coins++;
  });
  await new Promise((r) => setTimeout(r, 50)); // the motor runs
  emit!({ level: 1, at: ms(0) });
  emit!({ level: 0, at: ms(20) }); // a pulse seen whole
  emit!({ level: 0, at: ms(100), missed: true }); // a whole pulse unseen
  emit!({ level: 1, at: ms(150) });
  emit!({ level: 1, at: ms(260), missed: true }); // its end and the next start unseen
  t.same(await run, { coins: 3, stop: 'done' });
  t.equal(coins, 3);
  await hopper.stop();
});

/** A coin-out line read in another process (the GPIO helper): edges it has read wait until sync(). */
function queuedLine() {
  const handlers = new Set<(e: Edge) => void>();
  const queue: Edge[] = [];
  const line: InputLine = {
    name: 'queued',
    read: async () => 0,
    onEdge: (h) => (handlers.add(h), () => handlers.delete(h)),
    sync: async () => {
      for (const e of queue.splice(0)) for (const h of handlers) h(e);
      return process.hrtime.bigint();
    },
    close: async () => undefined,
  };
  return { line, read: (e: Edge) => queue.push(e) };
}

t.test('barrier: coins the reader already saw are counted before the no-coin timeout and the run-down decide', async (t) => {
  // Regression: with the coin-out line read in the GPIO helper process, the no-coin timer stopped the
  // motor as jammed while the coin it was waiting for was already read and on its way, and the run-down
  // window closed before a late coin's edges were delivered: change paid but not counted.
  const { line, read } = queuedLine();
  const { hopper } = await simHopper(new SimLines(), 0, 100, { coins: 20 }, { sensor: false, driver: { coinOut: line, noCoinTimeoutMs: 100, runDownMs: 50 } });
  await hopper.start();
  let coins = 0;
  const run = hopper.pay(1, async () => {
    coins++;
  });
  await new Promise((r) => setTimeout(r, 20)); // the motor runs
  const at = process.hrtime.bigint();
  // One coin at the count, and one more dropping in the run-down, both read before the timers fire.
  read({ level: 1, at });
  read({ level: 0, at: at + 40_000_000n });
  read({ level: 1, at: at + 80_000_000n });
  read({ level: 0, at: at + 120_000_000n });
  t.same(await run, { coins: 2, stop: 'done' }, 'the coin at the count and the run-down coin');
  t.equal(coins, 2);
  await hopper.stop();
});
