/**
 * The GPIO helper process (src/transports/gpio/onoff-helper.ts, runHelper) with simulated wires in place of
 * onoff: the same entry code, the same messages over a real IPC channel, only the kernel's sysfs lines
 * replaced by SimWires. FAKE_GPIO_SPELLS (JSON [[ms, level], ...]) is played, with real timers, on the
 * first input line watched, starting 100 ms after the watch: edges reach the daemon side timestamped here,
 * in this process, as the real helper's do.
 */
import { runHelper } from '../../src/transports/gpio/onoff-helper.js';
import type { OnoffFactory, OnoffGpioLike } from '../../src/transports/gpio/onoff-host.js';
import { SimLines } from '../../src/transports/gpio/sim-lines.js';
import type { Level } from '../../src/transports/gpio/line.js';

const wires = new SimLines('fake-sysfs', 4096);
const spells = JSON.parse(process.env.FAKE_GPIO_SPELLS ?? '[]') as Array<[number, Level]>;
let played = false;

const factory: OnoffFactory = (n, direction, _edge, { activeLow }) => {
  const wire = wires.wire(n);
  const inv = activeLow ? 1 : 0;
  if (direction === 'high' || direction === 'low') wire.set(((direction === 'high' ? 1 : 0) ^ inv) as Level);
  const unsubs: Array<() => void> = [];
  const gpio: OnoffGpioLike = {
    readSync: () => (wire.get() ^ inv) as Level,
    writeSync: (v) => wire.set((v ^ inv) as Level),
    watch: (cb) => {
      unsubs.push(wire.watch((level) => cb(null, (level ^ inv) as Level)));
      if (played) return;
      played = true;
      for (const [ms, level] of spells) setTimeout(() => wire.set(level), 100 + ms);
    },
    unwatchAll: () => unsubs.splice(0).forEach((u) => u()),
    unexport: () => undefined,
  };
  return gpio;
};

runHelper(async () => factory, null);
// FAKE_GPIO_DIE_MS: the helper dies that long after start (a crash of the real one).
if (process.env.FAKE_GPIO_DIE_MS) setTimeout(() => process.exit(3), Number(process.env.FAKE_GPIO_DIE_MS));
