/**
 * Keeps the status LED showing the code that fits the unit's state (led-codes.ts). Fed by the
 * appliance (appliance.ts) with fresh inputs; writes to sysfs only when the code changes. A missing LED
 * is logged once and otherwise ignored: the LED is an aid, never a reason to stop taking payments.
 */
import type { Logger } from '../log.js';
import { chooseLedCode, LED_PATTERNS, type LedCode, type LedInputs } from './led-codes.js';
import { SysfsLed } from './sysfs-led.js';

export class LedController {
  private current: LedCode | null = null;
  private usable = true;

  constructor(
    private readonly led: SysfsLed,
    private readonly log: Logger,
  ) {
    try {
      led.check();
    } catch (e) {
      this.usable = false;
      log.warn({ dir: led.dir, err: { message: (e as Error).message } }, 'status LED not found: LED codes disabled');
    }
  }

  get available(): boolean {
    return this.usable;
  }

  code(): LedCode | null {
    return this.current;
  }

  /** Shows the code for these inputs; returns it. */
  update(inputs: LedInputs): LedCode {
    const next = chooseLedCode(inputs);
    if (next !== this.current && this.usable) {
      try {
        this.led.show(LED_PATTERNS[next]);
        this.log.info({ code: next, attention: inputs.attention }, 'status LED');
      } catch (e) {
        this.usable = false;
        this.log.warn({ err: { message: (e as Error).message } }, 'status LED write failed: LED codes disabled');
      }
    }
    this.current = next;
    return next;
  }

  /** At shutdown: back to the booting rhythm, which is what a restarting unit is doing. */
  stop(): void {
    if (!this.usable) return;
    try {
      this.led.show(LED_PATTERNS.booting);
    } catch {
      // nothing more to do at shutdown
    }
  }
}
