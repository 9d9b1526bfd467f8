/**
 * A board's devices on real hardware that is not there at start (src/drivers/board/late-board.ts): the
 * real drivers' open errors become 506 faults naming the port or the expander's bus and address, and the
 * device joins when the hardware appears, without a rebuild of the rest:
 * - the CCNET validator on a serial path that does not exist, then a real pty (socat) at that path with
 *   the CCNET simulator on its far end;
 * - the MCP23017 expander through the real i2c-bus addon (this machine has no /dev/i2c-*: the addon's
 *   own error), then the register simulator behind the same bus interface.
 */
import t from 'tap';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode } from '../../../src/errors.js';
import { MemoryLog } from '../../../src/drivers/driver-log.js';
import { lateBoard } from '../../../src/drivers/board/late-board.js';
import { parseBoardProfile } from '../../../src/drivers/board/profile.js';
import { CcnetValidatorSim } from '../../../src/drivers/ccnet/ccnet-sim.js';
import { Mcp23017Sim } from '../../../src/drivers/mcp23017/mcp23017-sim.js';
import { SimLines } from '../../../src/transports/gpio/sim-lines.js';
import { openI2cBus } from '../../../src/transports/i2c/i2c-bus.js';
import { NodeSerialLink } from '../../../src/transports/serial/serial-port.js';
import { SimCancelButton } from '../../../src/drivers/sim/sim-cancel-button.js';
import type { CashCredit } from '../../../src/drivers/interfaces.js';
import { openPtyPair } from '../../transports/serial/socat-pair.js';
import { tempDir } from '../../helpers/daemon.js';
import { waitFor } from '../../helpers/wait.js';

const backoff = { firstMs: 50, maxMs: 200 };

t.test('a CCNET validator on a missing serial path: faulted 506 with the path, joins when a pty appears there', async (t) => {
  const port = join(tempDir('paypoint-late-ccnet-'), 'ttyUSB0');
  // A profile names a /dev/ path; this test's stands in a temporary directory.
  const parsed = parseBoardProfile({ name: 'late-ccnet', board: 'test', lineProviders: {}, billValidator: { type: 'ccnet', port: '/dev/ttyUSB0' } });
  const profile = { ...parsed, billValidator: { ...parsed.billValidator!, port } } as typeof parsed;
  const log = new MemoryLog();
  const board = lateBoard({ profile, log, backoff, hopperLevels: null, cancelButton: () => new SimCancelButton() });
  const [bill] = board.acceptors;
  t.teardown(async () => {
    await bill.stop();
    await board.close();
  });
  const credits: CashCredit[] = [];
  bill.onCredit(async (c) => void credits.push(c));
  bill.onEscrow(async () => 'stack');
  await bill.start();
  const h = bill.health();
  t.equal(h.state, 'fault');
  t.equal(h.code, ErrorCode.DeviceUnavailable);
  t.match(h.detail, `cannot open ${port}: `);
  t.match((log.at('error')[0].obj as { target: string }).target, port);
  await bill.setEnabled(true);

  const pair = await openPtyPair();
  const sim = new CcnetValidatorSim(new NodeSerialLink({ path: pair.b, baudRate: 9600 }));
  t.teardown(async () => {
    await sim.stop();
    await pair.close();
  });
  await sim.start();
  symlinkSync(pair.a, port); // the adapter is plugged in
  await waitFor('the validator joined and initialised', () => bill.health().state === 'ok', 20_000);
  t.equal(bill.health().code, undefined);
  t.match(log.at('info').map((e) => e.msg), ['device opened: joined, fault cleared']);
  // The enable asked while it was away reached it: a 100 RUB bill (type 2) is taken and credited.
  await waitFor('validator open', () => sim.status().kind === 'idling');
  t.equal(sim.insertBill(2), 'inserted');
  await waitFor('credited', () => credits.length === 1);
  t.equal(credits[0].value, 10_000);
});

t.test('an MCP23017 expander that does not answer: the real i2c-bus error faults the board lines (506, bus and address), they join when it answers', async (t) => {
  const profile = parseBoardProfile({
    name: 'late-i2c',
    board: 'test',
    lineProviders: { mcp: { type: 'mcp23017', bus: 1, address: 0x21, pollIntervalMs: 5 } },
    coinAcceptor: {
      pulse: { provider: 'mcp', pin: 0, activeLow: true },
      inhibit: { provider: 'mcp', pin: 8 },
      timings: { minPulseMs: 20, maxPulseMs: 120, minGapMs: 5, trainEndMs: 200 },
      values: { '1': 100, '2': 200 },
    },
    cancelButton: { provider: 'mcp', pin: 4, activeLow: true, pull: 'up' },
  });
  let answering = false;
  const realErrors: string[] = [];
  const chip = new Mcp23017Sim(new SimLines('mcp-pins', 17), 0x21);
  const log = new MemoryLog();
  const board = lateBoard({
    profile,
    log,
    backoff,
    hopperLevels: null,
    cancelButton: () => new SimCancelButton(),
    // Until the chip "answers", the real addon on /dev/i2c-1, which this machine does not have.
    openI2c: async (bus) => {
      if (answering) return chip;
      try {
        return await openI2cBus(bus);
      } catch (e) {
        realErrors.push((e as Error).message);
        throw e;
      }
    },
  });
  const [coin] = board.acceptors;
  t.teardown(async () => {
    await coin.stop();
    await board.cancelButton?.stop();
    await board.close();
  });
  await coin.start();
  await board.cancelButton!.start();
  for (const d of [coin, board.cancelButton!]) {
    const h = d.health();
    t.equal(h.state, 'fault', `${d.name} faulted`);
    t.equal(h.code, ErrorCode.DeviceUnavailable);
    t.match(h.detail, /^cannot open the lines of board profile late-i2c: I2C expander "mcp" \(MCP23017, bus 1, address 0x21\): /);
  }
  t.comment(`the real driver's error: ${coin.health().detail}`);
  t.same(coin.denominations().sort(), [100, 200], 'its values known from the profile');
  answering = true;
  await waitFor('the coin acceptor joined', () => coin.health().state !== 'fault');
  await waitFor('the cancel button joined', () => board.cancelButton!.health().state !== 'fault');
  t.equal(chip.regs[0x0a], 0x44, 'the driver set the chip up (IOCON MIRROR|ODR)');
  t.equal(chip.regs[0x15] & 1, 1, 'the coin inhibit (GPB0) latched high: closed until a payment opens it');
  // i2c-bus opens the bus lazily: the error comes at the driver's first write (ENOENT here, ENXIO or EREMOTEIO on a bus without the chip).
  t.same(realErrors, [], 'the bus "opened"; the chip did not answer');
});

t.test('a GPIO line that cannot be claimed (the real onoff on a machine without GPIO sysfs): the coin acceptor faulted 506, the daemon not stopped', async (t) => {
  // The chip is found (a sysfs tree laid out as the kernel's), the line cannot be exported.
  const sysfsRoot = tempDir('paypoint-late-gpio-');
  mkdirSync(join(sysfsRoot, 'gpiochip512'));
  for (const [f, v] of [['label', 'pinctrl-bcm2711'], ['base', '512'], ['ngpio', '58']]) writeFileSync(join(sysfsRoot, 'gpiochip512', f), `${v}\n`);
  const profile = parseBoardProfile({
    name: 'late-gpio',
    board: 'test',
    lineProviders: { gpio: { type: 'gpio' } },
    coinAcceptor: { pulse: { provider: 'gpio', pin: 17, activeLow: true }, timings: { minPulseMs: 20, maxPulseMs: 120, minGapMs: 5, trainEndMs: 200 }, values: { '1': 100 } },
  });
  const board = lateBoard({ profile, log: new MemoryLog(), backoff, hopperLevels: null, cancelButton: () => new SimCancelButton(), sysfsRoot });
  const [coin] = board.acceptors;
  t.teardown(async () => {
    await coin.stop();
    await board.close();
  });
  await coin.start();
  const h = coin.health();
  t.equal(h.state, 'fault');
  t.equal(h.code, ErrorCode.DeviceUnavailable);
  t.match(h.detail, /^cannot open the lines of board profile late-gpio: .*GPIO/);
  t.comment(`the real onoff's error: ${h.detail}`);
  await coin.setEnabled(true); // harmless while it is away
  t.equal(coin.health().state, 'fault', 'still faulted, still retried');
});
