/**
 * The daemon side of the Pi's GPIO (OnoffGpio) against the GPIO helper process over its real IPC channel
 * (test/helpers/fake-onoff-helper.ts: the helper's own entry code with simulated wires for onoff, which
 * needs a kernel with GPIO; the VM test runs the real one on gpio-sim).
 */
import t from 'tap';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { OnoffGpio } from '../../../src/transports/gpio/onoff-gpio.js';
import { PulseCashAcceptor, COIN_PULSE_TIMINGS } from '../../../src/drivers/pulse/pulse-acceptor.js';
import type { CashCredit } from '../../../src/drivers/interfaces.js';
import type { Edge, Level } from '../../../src/transports/gpio/line.js';
import { waitFor } from '../../helpers/wait.js';
import { ErrorCode } from '../../../src/errors.js';

const HELPER = fileURLToPath(new URL('../../helpers/fake-onoff-helper.ts', import.meta.url));

async function sysfs(dir: string): Promise<string> {
  const chip = join(dir, 'gpio', 'gpiochip512');
  await mkdir(chip, { recursive: true });
  await writeFile(join(chip, 'label'), 'pinctrl-bcm2711\n');
  await writeFile(join(chip, 'base'), '512\n');
  await writeFile(join(chip, 'ngpio'), '58\n');
  return join(dir, 'gpio');
}

function provider(root: string, spells: Array<[number, Level]>): OnoffGpio {
  // fork() copies the environment when the helper starts (the first claim, right after this).
  process.env.FAKE_GPIO_SPELLS = JSON.stringify(spells);
  return new OnoffGpio({ sysfsRoot: root, helperEntry: HELPER, nice: null });
}

t.test('edges cross from the helper in order with its timestamps; outputs written there; close ends it', async (t) => {
  const gpio = provider(await sysfs(t.testdir({})), [[0, 1], [50, 0], [100, 1], [150, 0]]);
  const before = process.hrtime.bigint();
  const line = await gpio.input(17);
  const out = await gpio.output(27, { initial: 1 });
  const edges: Edge[] = [];
  line.onEdge((e) => edges.push(e));
  await waitFor('4 edges', () => edges.length === 4, 5_000);
  t.same(edges.map((e) => e.level), [1, 0, 1, 0]);
  t.ok(edges[0].at > before && edges.every((e, i) => i === 0 || e.at > edges[i - 1].at), 'bigint timestamps, increasing');
  const ms = Number(edges[1].at - edges[0].at) / 1e6;
  t.ok(ms >= 45 && ms < 150, `a 50 ms pulse measured ${ms.toFixed(1)} ms in the helper`);
  t.equal(await out.read(), 1);
  await out.write(0);
  t.ok((await line.sync()) >= edges[3].at, 'sync answers with a time past every edge delivered');
  await gpio.close();
  await t.rejects(line.read(), { code: ErrorCode.DeviceNotReady }, 'closed: no new helper is started');
});

t.test('barrier: a busy daemon loop does not end a coin train whose next pulse is queued from the helper', async (t) => {
  // Regression: with the edges read in another process, the decoder's train-end timer in the daemon fired
  // (the daemon loop blocked 400 ms after the first pulse) before the second pulse's edges, already read
  // and queued, were delivered: a 2-pulse coin (200) became two 1-pulse coins (100 + 100).
  const gpio = provider(await sysfs(t.testdir({})), [[0, 1], [50, 0], [150, 1], [200, 0]]);
  const line = await gpio.input(17);
  const acceptor = new PulseCashAcceptor({ name: 'coins', kind: 'coin', pulse: line, inhibit: null, decoder: { ...COIN_PULSE_TIMINGS, values: { 1: 100, 2: 200 } } });
  const credits: CashCredit[] = [];
  acceptor.onCredit(async (c) => {
    credits.push(c);
  });
  await acceptor.start();
  let blocked = false;
  line.onEdge((e) => {
    if (e.level !== 0 || blocked) return;
    blocked = true;
    const until = Date.now() + 400;
    while (Date.now() < until) {
      // The daemon's loop busy (a long synchronous job): the helper reads the second pulse meanwhile.
    }
  });
  await waitFor('a credit', () => credits.length > 0, 5_000);
  await new Promise((r) => setTimeout(r, 400));
  t.same(credits.map((c) => c.value), [200], 'one coin of 2 pulses');
  await acceptor.stop();
  await gpio.close();
});

t.test('a helper that dies while lines are claimed ends the daemon process (no coin line left unread)', async (t) => {
  const script = fileURLToPath(new URL('../../helpers/gpio-helper-dies.ts', import.meta.url));
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, await sysfs(t.testdir({}))], { encoding: 'utf8', timeout: 30_000 });
  t.not(r.status, 0, 'exit status');
  t.notMatch(r.stdout, /still running/);
  t.match(r.stderr, /GPIO helper process of "gpio" ended \(code 3/);
});
