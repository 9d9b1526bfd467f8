/**
 * The status LED codes (docs/appliance.md) against a fake LED class directory: what lands in
 * trigger / delay_on / delay_off for each documented code, the priority between codes, and that an
 * unchanged code is not rewritten (a rewrite restarts the kernel's blink rhythm).
 */
import t from 'tap';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LED_PATTERNS, chooseLedCode, type LedInputs } from '../../../src/services/led/led-codes.js';
import { LedController } from '../../../src/services/led/led-controller.js';
import { SysfsLed } from '../../../src/services/led/sysfs-led.js';
import { silentLogger } from '../../../src/services/log.js';

const NAME = 'paypoint:green:status';

/** A fake /sys/class/leds with one LED as the kernel shows it before the udev rule ran. */
function fakeLedRoot(trigger = '[none] timer heartbeat'): { root: string; dir: string } {
  const root = mkdtempSync(join(tmpdir(), 'paypoint-leds-'));
  const dir = join(root, NAME);
  mkdirSync(dir);
  writeFileSync(join(dir, 'trigger'), trigger);
  writeFileSync(join(dir, 'brightness'), '0');
  writeFileSync(join(dir, 'max_brightness'), '1');
  return { root, dir };
}

const read = (dir: string, f: string) => readFileSync(join(dir, f), 'utf8');
const base: LedInputs = { booting: false, importResult: null, paymentInProgress: false, attention: [], reportsWaiting: false };

t.test('each code writes its documented timer delays', async (t) => {
  const expected: Record<string, [string, string]> = {
    booting: ['500', '500'],
    ready: ['1000', '0'], // steady on: timer with delay_off 0
    payment: ['150', '150'],
    'reports-waiting': ['1900', '100'],
    attention: ['100', '1900'],
    'cash-service': ['1000', '3000'],
    'config-refused': ['50', '50'],
    'config-applied': ['2000', '2000'],
    'config-error': ['50', '450'],
  };
  t.same(Object.keys(LED_PATTERNS).sort(), Object.keys(expected).sort(), 'every code has an expected value here');
  for (const [code, [on, off]] of Object.entries(expected)) {
    const { root, dir } = fakeLedRoot();
    const led = new SysfsLed(root, NAME);
    led.show(LED_PATTERNS[code as keyof typeof LED_PATTERNS]);
    t.equal(read(dir, 'trigger'), 'timer', `${code}: timer trigger`);
    t.equal(read(dir, 'delay_on'), on, `${code}: delay_on`);
    t.equal(read(dir, 'delay_off'), off, `${code}: delay_off`);
  }
});

t.test('the trigger is not rewritten when the timer is already active (udev rule handed over delay_*)', async (t) => {
  const { root, dir } = fakeLedRoot('none [timer] heartbeat');
  new SysfsLed(root, NAME).show(LED_PATTERNS.payment);
  t.equal(read(dir, 'trigger'), 'none [timer] heartbeat', 'trigger untouched');
  t.equal(read(dir, 'delay_on'), '150');
});

t.test('priority: booting > configuration error > import result > payment > attention > cash service > reports waiting > ready', async (t) => {
  t.equal(chooseLedCode(base), 'ready');
  t.equal(chooseLedCode({ ...base, reportsWaiting: true }), 'reports-waiting');
  t.equal(chooseLedCode({ ...base, reportsWaiting: true, attention: ['clock not synchronised'] }), 'attention');
  t.equal(chooseLedCode({ ...base, reportsWaiting: true, cashService: ['hoppers low'] }), 'cash-service', 'cash service above reports waiting');
  t.equal(chooseLedCode({ ...base, cashService: ['bill cassette full'], attention: ['device x: fault'] }), 'attention', 'a fault above cash service');
  t.equal(chooseLedCode({ ...base, cashService: ['hoppers low'], paymentInProgress: true }), 'payment');
  t.equal(chooseLedCode({ ...base, reportsWaiting: true, attention: ['x'], paymentInProgress: true }), 'payment');
  t.equal(chooseLedCode({ ...base, paymentInProgress: true, importResult: 'applied' }), 'config-applied');
  t.equal(chooseLedCode({ ...base, importResult: 'refused' }), 'config-refused');
  t.equal(chooseLedCode({ ...base, importResult: 'refused', booting: true }), 'booting');
  // The configuration-error mode: above an import result (a refused stick leaves the same error).
  t.equal(chooseLedCode({ ...base, configError: true, importResult: 'refused' }), 'config-error');
  t.equal(chooseLedCode({ ...base, configError: true, booting: true }), 'booting');
});

t.test('controller writes only on a change of code', async (t) => {
  const { root, dir } = fakeLedRoot();
  const c = new LedController(new SysfsLed(root, NAME), silentLogger());
  t.ok(c.available);
  t.equal(c.update({ ...base, booting: true }), 'booting');
  t.equal(read(dir, 'delay_on'), '500');
  t.equal(c.update({ ...base, paymentInProgress: true }), 'payment');
  t.equal(read(dir, 'delay_on'), '150');
  // Mark the file: the same code again must leave it alone.
  writeFileSync(join(dir, 'delay_on'), 'untouched');
  t.equal(c.update({ ...base, paymentInProgress: true, reportsWaiting: true }), 'payment');
  t.equal(read(dir, 'delay_on'), 'untouched', 'same code: no write');
  t.equal(c.update({ ...base, attention: ['device hoppers: fault'] }), 'attention');
  t.equal(read(dir, 'delay_on'), '100');
  t.equal(read(dir, 'delay_off'), '1900');
  c.stop();
  t.equal(read(dir, 'delay_on'), '500', 'back to the booting rhythm at shutdown');
});

t.test('a missing LED disables the codes without throwing', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'paypoint-leds-'));
  const c = new LedController(new SysfsLed(root, NAME), silentLogger());
  t.equal(c.available, false);
  t.equal(c.update({ ...base, paymentInProgress: true }), 'payment', 'the code is still computed (shown on the page)');
});
