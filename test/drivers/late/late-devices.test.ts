/**
 * The stand-ins of devices opened late (src/drivers/late/late-devices.ts), with the simulators as the
 * drivers that join: faulted (506) and taking no money until open; what the engine asked meanwhile
 * (handlers, open or closed, which bills) reaches the driver as it joins.
 */
import t from 'tap';
import { ErrorCode } from '../../../src/errors.js';
import { MemoryLog } from '../../../src/drivers/driver-log.js';
import { LateCancelButton, LateCashAcceptor, LateDispenser } from '../../../src/drivers/late/late-devices.js';
import { SimCashAcceptor } from '../../../src/drivers/sim/sim-cash-acceptor.js';
import { SimDispenser } from '../../../src/drivers/sim/sim-dispenser.js';
import { SimCancelButton } from '../../../src/drivers/sim/sim-cancel-button.js';
import type { CashCredit } from '../../../src/drivers/interfaces.js';
import { waitFor } from '../../helpers/wait.js';

const backoff = { firstMs: 20, maxMs: 40 };

/** An opener that fails while `present` is false, like a port that is not there. */
function gate<T>(make: () => T): { open: () => Promise<T>; plug: () => void; tries: () => number } {
  let present = false;
  let tries = 0;
  let made: T | null = null;
  return {
    open: async () => {
      tries++;
      if (!present) throw new Error('No such file or directory');
      return (made ??= make());
    },
    plug: () => (present = true),
    tries: () => tries,
  };
}

t.test('a bill validator not there at start: faulted 506, no money; joins with the handlers and the wanted bills', async (t) => {
  const sim = new SimCashAcceptor('bill-validator', 'bill', [5000, 10_000, 50_000]);
  const g = gate(() => sim);
  const late = new LateCashAcceptor('bill', [], { name: 'bill-validator', target: '/dev/ttyUSB0', open: g.open, backoff, log: new MemoryLog() });
  t.teardown(() => late.stop());
  const credits: CashCredit[] = [];
  late.onCredit(async (c) => void credits.push(c));
  late.onEscrow(async () => 'stack');
  await late.start();
  const h = late.health();
  t.equal(h.state, 'fault');
  t.equal(h.code, ErrorCode.DeviceUnavailable);
  t.match(h.detail, /^cannot open \/dev\/ttyUSB0: No such file or directory \(1 try; next try in \d+ s\)$/);
  // The engine opens it for a payment of 100 RUB while it is away: remembered, harmless.
  await late.setAccepted((v) => v <= 10_000);
  await late.setEnabled(true);
  t.same(late.denominations(), [], 'no values known before the validator is there');
  await waitFor('a few tries', () => g.tries() >= 3);
  t.equal(late.health().state, 'fault');

  g.plug();
  await waitFor('joined', () => late.health().state === 'ok');
  t.equal(late.health().code, undefined, 'the fault code is gone');
  t.same(late.denominations(), [5000, 10_000, 50_000]);
  await waitFor('the wish applied', () => sim.isEnabled());
  t.same(await sim.insert(50_000), { accepted: false, reason: 'disabled' }, 'the narrowing asked before the join holds');
  t.same(await sim.insert(10_000), { accepted: true, value: 10_000 });
  t.equal(credits.length, 1, 'the credit reached the handler given before the join');
  await late.setEnabled(false);
  t.equal(sim.isEnabled(), false, 'passed on once joined');
});

t.test('a driver without per-value control joins closed if it would take a value the payment does not allow', async (t) => {
  const sim = new SimCashAcceptor('bill-validator', 'bill', [5000, 10_000]);
  const noPerValue = Object.assign(sim, { setAccepted: undefined });
  const g = gate(() => noPerValue);
  const late = new LateCashAcceptor('bill', [5000, 10_000], { name: 'bill-validator', target: 'pulse line', open: g.open, backoff, log: new MemoryLog() });
  t.teardown(() => late.stop());
  await late.start();
  await late.setAccepted((v) => v <= 5000);
  await late.setEnabled(true);
  g.plug();
  await waitFor('joined', () => late.health().state === 'ok');
  await new Promise((r) => setTimeout(r, 10));
  t.equal(sim.isEnabled(), false, 'closed: it could take a 100 RUB bill the payment cannot handle');
  await late.setAccepted(null);
  t.equal(sim.isEnabled(), true, 'open once every value is allowed');
});

t.test('a dispenser not there pays nothing (all rest amount), keeps a refill, and joins with its levels', async (t) => {
  const saved: Array<Record<number, number>> = [];
  let built: SimDispenser | null = null;
  let present = false;
  const late: LateDispenser = new LateDispenser(
    {
      name: 'hoppers',
      target: 'I2C expander "mcp" (bus 1, address 0x20)',
      open: async () => {
        if (!present) throw new Error('Remote I/O error');
        const l = late.levelsNow();
        return (built ??= new SimDispenser('hoppers', [1000, 500], [l[1000] ?? 0, l[500] ?? 0]));
      },
      backoff,
      log: new MemoryLog(),
    },
    { 1000: 3, 500: 0 },
    new MemoryLog(),
    (l) => saved.push(l),
  );
  t.teardown(() => late.stop());
  await late.start();
  t.equal(late.health().code, 506);
  t.equal(late.health().kind, 'dispenser');
  t.same(await late.dispense(1500, async () => void t.fail('no coin leaves')), { paid: 0, rest: 1500 });
  t.equal(late.payable(1000), 0);
  late.refill(500, 10);
  t.same(late.levels(), { 1000: 3, 500: 10 });
  t.same(saved, [{ 1000: 3, 500: 10 }], 'the refill is saved');
  present = true;
  await waitFor('joined', () => late.device !== null);
  t.not(late.health().state, 'fault');
  const coins: number[] = [];
  t.same(await late.dispense(1500, async (v) => void coins.push(v)), { paid: 1500, rest: 0 });
  t.same(coins.sort(), [1000, 500]);
});

t.test('a cancel button that joins late gets the handler given before', async (t) => {
  const button = new SimCancelButton();
  const g = gate(() => button);
  const late = new LateCancelButton('cancel-button', { name: 'cancel-button', target: 'GPIO 26', open: g.open, backoff, log: new MemoryLog() });
  t.teardown(() => late.stop());
  let presses = 0;
  late.onPress(async () => void presses++);
  await late.start();
  t.equal(late.health().state, 'fault');
  g.plug();
  await waitFor('joined', () => late.health().state === 'ok');
  await button.press();
  t.equal(presses, 1);
});
