/**
 * The validator's serial port lost while the driver runs (src/drivers/late/relink.ts, the CCNET driver's
 * header): the socat pty pair is killed under the running driver (both ends fail, as when a USB-serial
 * adapter is unplugged) and made again at the same paths (plugged back; the links point to new
 * /dev/pts nodes, as a udev symlink does). The simulated validator keeps its own power and state.
 */
import t from 'tap';
import { join } from 'node:path';
import { openPtyPair, type PtyPair } from '../../transports/serial/socat-pair.js';
import { NodeSerialLink } from '../../../src/transports/serial/serial-port.js';
import { CcnetValidatorSim, type CcnetSimOptions } from '../../../src/drivers/ccnet/ccnet-sim.js';
import { CcnetBillValidator } from '../../../src/drivers/ccnet/ccnet-validator.js';
import { Command } from '../../../src/codecs/ccnet/commands.js';
import { MemoryLog } from '../../../src/drivers/driver-log.js';
import type { CashCredit, DeviceHealth, EscrowDecision } from '../../../src/drivers/interfaces.js';
import { ErrorCode } from '../../../src/errors.js';
import { tempDir } from '../../helpers/daemon.js';
import { waitFor } from '../../helpers/wait.js';

async function unpluggable(simOptions: CcnetSimOptions = {}, reopen = { firstMs: 50, maxMs: 200 }) {
  const dir = tempDir('paypoint-relink-');
  const at = { a: join(dir, 'ttyUSB0'), b: join(dir, 'validator') };
  let pair: PtyPair | null = await openPtyPair('socat', at);
  const sim = new CcnetValidatorSim(new NodeSerialLink({ path: at.b, baudRate: 9600 }), { pollsPerStep: 2, ...simOptions });
  await sim.start();
  const log = new MemoryLog();
  const driver = new CcnetBillValidator({
    link: new NodeSerialLink({ path: at.a, baudRate: 9600 }),
    pollIntervalMs: 20,
    responseTimeoutMs: 250,
    silentAfterPolls: 3,
    // The start-up backoff, short for the test.
    reopen,
    log,
  });
  const credits: CashCredit[] = [];
  const escrows: number[] = [];
  let escrow: (v: number) => Promise<EscrowDecision> = async () => 'stack';
  driver.onCredit(async (c) => void credits.push(c));
  driver.onEscrow(async (v) => {
    escrows.push(v);
    return escrow(v);
  });
  /** Every health the driver reported while the test waited (the fault in between is among them). */
  const seen: DeviceHealth[] = [];
  const health = (): DeviceHealth => {
    const h = driver.health();
    seen.push(h);
    return h;
  };
  const x = {
    sim,
    driver,
    log,
    credits,
    escrows,
    seen,
    health,
    path: at.a,
    onEscrow(f: (v: number) => Promise<EscrowDecision>) {
      escrow = f;
    },
    async ready() {
      await driver.start();
      await waitFor('validator ready', () => health().state === 'ok');
      await driver.setEnabled(true);
      await waitFor('validator open', () => sim.status().kind === 'idling');
    },
    async unplug() {
      await pair?.close();
      pair = null;
    },
    async plug() {
      pair = await openPtyPair('socat', at);
      await sim.reconnect();
    },
    async close() {
      await driver.stop();
      await sim.stop();
      await pair?.close();
    },
  };
  return x;
}

const isLost = (h: DeviceHealth): boolean => h.state === 'fault' && h.code === ErrorCode.DeviceUnavailable;

t.test('unplugged while running: faulted 506 naming the path; plugged back at the same path it starts over (RESET, bill table, ENABLE) and takes a bill', async (t) => {
  const u = await unpluggable();
  t.teardown(() => u.close());
  await u.ready();
  const before = u.sim.received.length;
  await u.unplug();
  const lost = await waitFor('the fault shown', () => (isLost(u.health()) ? u.driver.health() : null));
  t.match(lost.detail, u.path, 'the path is named');
  // Reopen tries fail while the pty is gone (the path does not exist): still 506, and logged with it.
  await waitFor('a failed reopen', () => u.log.at('error').some((e) => (e.obj as { code?: number; attempts?: number }).code === ErrorCode.DeviceUnavailable && ((e.obj as { attempts?: number }).attempts ?? 0) >= 1));
  t.ok(isLost(u.health()), 'still faulted 506');
  t.comment(`health at the loss: ${lost.detail}; after a failed reopen: ${u.driver.health().detail}`);
  await u.plug();
  await waitFor('back', () => u.health().state === 'ok' && u.sim.masks().enable === 0xff);
  t.equal(u.driver.health().code, undefined, 'the fault cleared');
  const after = u.sim.received.slice(before);
  const reset = after.indexOf(Command.Reset);
  t.ok(reset > 0, 'RESET after the replug');
  t.ok(after.indexOf(Command.GetBillTable, reset) > reset, 'bill table read again');
  t.ok(after.indexOf(Command.EnableBillTypes, reset) > reset, 'ENABLE BILL TYPES again');
  t.ok(u.seen.some(isLost), 'health showed the fault in between');
  await waitFor('validator open', () => u.sim.status().kind === 'idling');
  t.equal(u.sim.insertBill(1), 'inserted');
  await waitFor('credited after the replug', () => u.credits.length === 1);
  t.same(u.credits.map((c) => c.value), [5000]);
});

t.test('closed by the session while unplugged: it comes back closed', async (t) => {
  const u = await unpluggable();
  t.teardown(() => u.close());
  await u.ready();
  await u.unplug();
  await waitFor('the fault shown', () => isLost(u.health()));
  await u.driver.setEnabled(false);
  await u.plug();
  await waitFor('back and initialised', () => u.health().state === 'ok' && u.sim.status().kind === 'disabled');
  t.same(u.sim.masks(), { enable: 0, escrow: 0 });
  t.equal(u.sim.insertBill(2), 'refused');
  await u.driver.setEnabled(true);
  await waitFor('opened when asked', () => u.sim.status().kind === 'idling');
});

t.test('a bill in escrow when the port is lost: the STACK did not go out; after the replug it is decided again and credited once', async (t) => {
  const u = await unpluggable({ escrowTimeoutMs: 60_000 });
  t.teardown(() => u.close());
  await u.ready();
  u.onEscrow(async () => {
    if (u.escrows.length === 1) await u.unplug(); // the adapter pulled while the domain decides
    return 'stack';
  });
  t.equal(u.sim.insertBill(3), 'inserted');
  await waitFor('the fault shown', () => isLost(u.health()));
  t.same(u.sim.stacked, [], 'nothing stacked: the STACK never reached the validator');
  await u.plug();
  await waitFor('credited after the replug', () => u.credits.length === 1);
  await waitFor('STACKED acknowledged', () => u.sim.status().kind === 'idling');
  t.same(u.escrows, [50000, 50000], 'asked twice: the bill was still in escrow');
  t.same(u.sim.stacked, [3]);
  t.same(u.credits.map((c) => c.value), [50000]);
});

t.test('regression: a bill credited and its ACK lost with the port is not credited again when the validator repeats STACKED after the replug', async (t) => {
  const u = await unpluggable();
  t.teardown(() => u.close());
  await u.ready();
  u.driver.onCredit(async (c) => {
    u.credits.push(c);
    if (u.credits.length === 1) await u.unplug(); // stored; the ACK that follows cannot go out
  });
  t.equal(u.sim.insertBill(4), 'inserted');
  await waitFor('the fault shown', () => isLost(u.health()));
  t.equal(u.sim.status().kind, 'stacked', 'the validator still holds its STACKED event');
  await u.plug();
  await waitFor('STACKED acknowledged after the replug', () => u.sim.status().kind === 'idling' && u.health().state === 'ok');
  t.same(u.credits.map((c) => c.value), [100000], 'credited once');
});

t.test('the validator restarted while unplugged with a bill at the stacker: nothing credited, reset and re-opened', async (t) => {
  const u = await unpluggable();
  t.teardown(() => u.close());
  await u.ready();
  await u.unplug();
  await waitFor('the fault shown', () => isLost(u.health()));
  u.sim.powerCycle('stacker');
  await u.plug();
  await waitFor('back and open', () => u.health().state === 'ok' && u.sim.status().kind === 'idling');
  t.same(u.credits, [], 'no credit is invented for a bill no STACKED was seen for');
  t.equal(u.sim.insertBill(2), 'inserted');
  await waitFor('a new bill credited', () => u.credits.length === 1);
});

t.test('the port coming back is noticed from its path appearing, not only at the next backoff try', async (t) => {
  // A backoff far longer than the hang guard of the wait below: only the path watch can bring it back in time.
  const u = await unpluggable({}, { firstMs: 600_000, maxMs: 600_000 });
  t.teardown(() => u.close());
  await u.ready();
  await u.unplug();
  await waitFor('the fault shown', () => isLost(u.health()));
  await u.plug();
  await waitFor('back before the backoff try', () => u.health().state === 'ok' && u.sim.status().kind === 'idling');
  t.equal(u.sim.insertBill(2), 'inserted');
  await waitFor('credited', () => u.credits.length === 1);
});

t.test('a bill sent to the stacker when the port is lost, and the validator restarted meanwhile with it at the stacker: not credited, its value named for the technician', async (t) => {
  // Slow steps, so that the port can be pulled while the bill is STACKING (after STACK, before STACKED).
  const u = await unpluggable({ pollsPerStep: 40 });
  t.teardown(() => u.close());
  await u.ready();
  t.equal(u.sim.insertBill(3), 'inserted');
  await waitFor('stacking', () => u.sim.status().kind === 'stacking', { everyMs: 1 });
  await u.unplug();
  await waitFor('the fault shown', () => isLost(u.health()));
  u.sim.powerCycle('stacker');
  await u.plug();
  await waitFor('back and open', () => u.health().state === 'ok' && u.sim.status().kind === 'idling');
  t.same(u.credits, [], 'not credited: no STACKED was seen');
  t.ok(u.log.at('error').some((e) => (e.obj as { value?: number }).value === 50000), 'the power-up with a bill at the stacker names the 500 RUB sent there');
});
