/**
 * One LED of the Linux LED class (Documentation/leds/leds-class.rst, ledtrig-timer): `<root>/<name>/`
 * with `trigger`, `delay_on`, `delay_off` (ms), `brightness`, `max_brightness`.
 *
 * The LED never leaves the `timer` trigger: the kernel runs the blinking, so the LED keeps its rhythm if
 * the daemon stalls, and steady on is the timer with delay_off = 0 (led_set_software_blink: "never off -
 * just set to brightness"). Staying on one trigger also matters for permissions: the kernel creates
 * delay_on/delay_off afresh (owned by root) whenever the timer trigger is set, so the udev rule
 * (systemd/99-paypoint-led.rules) sets it once at boot and hands those files to the daemon's group; the
 * daemon only writes `trigger` itself if it finds another one there. Only changes are written, so a
 * rhythm is never restarted.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, PayPointError } from '../../errors.js';
import type { LedPattern } from './led-codes.js';

/** Any non-zero delay_on: with delay_off 0 the LED is steadily on. */
const STEADY_ON_MS = 1000;

export class SysfsLed {
  readonly dir: string;

  constructor(root: string, name: string) {
    this.dir = join(root, name);
  }

  /** Throws LedUnavailable when the LED is not there (no overlay loaded, wrong name). */
  check(): void {
    if (!existsSync(join(this.dir, 'brightness')) || !existsSync(join(this.dir, 'trigger'))) {
      throw new PayPointError(ErrorCode.LedUnavailable, `no LED at ${this.dir}`, { dir: this.dir });
    }
  }

  private write(attr: string, value: string): void {
    writeFileSync(join(this.dir, attr), value);
  }

  /** The active trigger: sysfs lists all with the active one in brackets ("none [timer] heartbeat"). */
  trigger(): string {
    const t = readFileSync(join(this.dir, 'trigger'), 'utf8').trim();
    const m = /\[([^\]]+)\]/.exec(t);
    return m ? m[1] : t;
  }

  show(p: LedPattern): void {
    if (this.trigger() !== 'timer') this.write('trigger', 'timer');
    const [on, off] = p.kind === 'steady' ? [STEADY_ON_MS, 0] : [p.onMs, p.offMs];
    // delay_on first: it is never 0, so no intermediate "never on" state is written.
    this.write('delay_on', String(on));
    this.write('delay_off', String(off));
  }
}
