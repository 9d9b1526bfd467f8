import t from 'tap';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { findGpioChip, listGpioChips, OnoffGpio, type OnoffGpioLike } from '../../../src/transports/gpio/onoff-gpio.js';
import { ErrorCode } from '../../../src/errors.js';

async function fakeSysfs(dir: string, chips: Array<{ n: number; label: string; ngpio: number }>): Promise<string> {
  const root = join(dir, 'gpio');
  await mkdir(root, { recursive: true });
  await writeFile(join(root, 'export'), '');
  for (const c of chips) {
    await mkdir(join(root, `gpiochip${c.n}`));
    await writeFile(join(root, `gpiochip${c.n}`, 'label'), `${c.label}\n`);
    await writeFile(join(root, `gpiochip${c.n}`, 'base'), `${c.n}\n`);
    await writeFile(join(root, `gpiochip${c.n}`, 'ngpio'), `${c.ngpio}\n`);
  }
  return root;
}

// Pi 4 on kernel 6.6+: the SoC controller at 512, the firmware expander at 570 (github.com/fivdi/onoff, its issue 204).
const PI4_66 = [{ n: 512, label: 'pinctrl-bcm2711', ngpio: 58 }, { n: 570, label: 'raspberrypi-exp-gpio', ngpio: 8 }];
// Pi 5: the RP1 at 571, with other chips before it.
const PI5 = [{ n: 512, label: 'gpio-brcmstb@107d508500', ngpio: 32 }, { n: 571, label: 'pinctrl-rp1', ngpio: 54 }];
// Pi 4 on an older kernel: base 0.
const PI4_OLD = [{ n: 0, label: 'pinctrl-bcm2711', ngpio: 58 }, { n: 504, label: 'raspberrypi-exp-gpio', ngpio: 8 }];

t.test('the chip base comes from the label, on each kernel layout', async (t) => {
  const dir = t.testdir({});
  t.equal((await findGpioChip(await fakeSysfs(join(dir, 'a'), PI4_66))).base, 512);
  t.equal((await findGpioChip(await fakeSysfs(join(dir, 'b'), PI5))).base, 571);
  t.equal((await findGpioChip(await fakeSysfs(join(dir, 'c'), PI4_OLD))).base, 0);
  const root = join(dir, 'a', 'gpio');
  t.equal((await findGpioChip(root, 'raspberrypi-exp-gpio')).base, 570);
  t.same((await listGpioChips(root)).map((c) => c.label).sort(), ['pinctrl-bcm2711', 'raspberrypi-exp-gpio']);
});

t.test('no matching chip, or no sysfs: DeviceUnsupported', async (t) => {
  const dir = t.testdir({});
  const root = await fakeSysfs(dir, [{ n: 0, label: 'some-other-chip', ngpio: 8 }]);
  await t.rejects(findGpioChip(root), { code: ErrorCode.DeviceUnsupported });
  await t.rejects(findGpioChip(join(dir, 'missing')), { code: ErrorCode.DeviceUnsupported });
});

t.test('lines are claimed at base + BCM pin, outputs with their initial level, edges timestamped', async (t) => {
  const root = await fakeSysfs(t.testdir({}), PI4_66);
  const made: Array<{ n: number; direction: string; edge: string; activeLow: boolean; fake: FakeGpio }> = [];
  class FakeGpio implements OnoffGpioLike {
    value: 0 | 1 = 0;
    cb: ((err: Error | null | undefined, v: 0 | 1) => void) | null = null;
    unexported = false;
    readSync() { return this.value; }
    writeSync(v: 0 | 1) { this.value = v; }
    watch(cb: (err: Error | null | undefined, v: 0 | 1) => void) { this.cb = cb; }
    unwatchAll() { this.cb = null; }
    unexport() { this.unexported = true; }
  }
  const gpio = new OnoffGpio({
    sysfsRoot: root,
    factory: (n, direction, edge, { activeLow }) => {
      const fake = new FakeGpio();
      made.push({ n, direction, edge, activeLow, fake });
      return fake;
    },
  });
  t.equal(await gpio.sysfsNumber(17), 529);
  const coin = await gpio.input(17, { activeLow: true });
  const inhibit = await gpio.output(27, { initial: 1, activeLow: true });
  t.same(made.map(({ n, direction, edge, activeLow }) => ({ n, direction, edge, activeLow })), [
    { n: 529, direction: 'in', edge: 'both', activeLow: true },
    // initial logical 1 on an active-low line is 0 V: claimed as 'low', no glitch.
    { n: 539, direction: 'low', edge: 'none', activeLow: true },
  ]);
  const edges: Array<{ level: number; at: bigint }> = [];
  coin.onEdge((e) => edges.push(e));
  const before = process.hrtime.bigint();
  made[0].fake.cb!(null, 1);
  made[0].fake.cb!(new Error('EIO'), 0);
  t.equal(edges.length, 1, 'errors are not edges');
  t.equal(edges[0].level, 1);
  t.ok(edges[0].at >= before);
  await inhibit.write(0);
  t.equal(made[1].fake.value, 0);
  t.equal(await inhibit.read(), 0);
  await t.rejects(gpio.input(58), { code: ErrorCode.DeviceUnsupported });
  await gpio.close();
  t.ok(made.every((m) => m.fake.unexported));
});

t.test('a wake-up that reads the level of the previous edge is passed on as missed, not dropped', async (t) => {
  // Regression: onoff reads the value when its epoll callback runs; a late event loop read the line
  // back at its old level after a whole 50 ms pulse (sysfs wakes once for both edges) and the pulse was lost.
  const root = await fakeSysfs(t.testdir({}), PI4_66);
  let cb: ((err: Error | null | undefined, v: 0 | 1) => void) | null = null;
  const gpio = new OnoffGpio({
    sysfsRoot: root,
    factory: () => ({ readSync: () => 0, writeSync: () => undefined, watch: (c) => (cb = c), unwatchAll: () => undefined, unexport: () => undefined }),
  });
  const line = await gpio.input(27, { activeLow: true });
  const edges: Array<{ level: number; missed?: true }> = [];
  line.onEdge((e) => edges.push({ level: e.level, ...(e.missed ? { missed: e.missed } : {}) }));
  for (const v of [1, 0, 0, 1, 1, 0] as const) cb!(null, v);
  t.same(edges, [{ level: 1 }, { level: 0 }, { level: 0, missed: true }, { level: 1 }, { level: 1, missed: true }, { level: 0 }]);
  await gpio.close();
});

t.test('on a machine without GPIO the real onoff is refused cleanly', async (t) => {
  const root = await fakeSysfs(t.testdir({}), PI4_66);
  const gpio = new OnoffGpio({ sysfsRoot: root });
  // docs/design.md, "Hardware without hardware": this machine has no GPIO, so onoff's Gpio.accessible is false.
  await t.rejects(gpio.input(17), { code: ErrorCode.DeviceUnsupported });
  await gpio.close();
});
