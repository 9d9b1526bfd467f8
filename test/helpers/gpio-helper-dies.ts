/**
 * A daemon-side process whose GPIO helper dies while it holds a line (test/transports/gpio/onoff-helper.test.ts
 * runs it and expects it to end). argv[2]: a fake sysfs root.
 */
import { fileURLToPath } from 'node:url';
import { OnoffGpio } from '../../src/transports/gpio/onoff-gpio.js';

process.env.FAKE_GPIO_DIE_MS = '300';
const gpio = new OnoffGpio({ sysfsRoot: process.argv[2], helperEntry: fileURLToPath(new URL('./fake-onoff-helper.ts', import.meta.url)), nice: null });
await gpio.input(17);
// A daemon's loop stays alive (its servers); this one with a timer, long past the helper's death.
setTimeout(() => process.stdout.write('still running\n'), 5_000);
