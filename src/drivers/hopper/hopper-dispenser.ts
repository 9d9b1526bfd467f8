/**
 * Several parallel hoppers, one per coin value, as one ChangeDispenser (README.md, "Cash hardware"): plans the
 * coins with makeChange (exact when possible, preferring values in good supply), pays hopper by hopper
 * reporting every coin through `onCoin` (awaited), replans without a hopper that came up short, and
 * returns what it could not pay as the rest amount (contract 2.6).
 *
 * Fill levels are counted: down by every coin out, up by refills the technician records; settable.
 * The driver keeps them in memory and reports every change through `onLevels`, for the caller to
 * persist (the store is not a driver's business) and to pass back as `levels` at the next start.
 */
import { makeChange, type ChangeOptions } from '../../base/change.js';
import type { ChangeDispenser, DeviceHealth, DispenseResult } from '../interfaces.js';
import { nullLog, type DriverLog } from '../driver-log.js';
import type { ParallelHopper } from './parallel-hopper.js';

export interface HopperDispenserOptions {
  name?: string;
  hoppers: ParallelHopper[];
  /** Coins held per value at start (from the caller's persisted state); default 0. */
  levels?: Record<number, number>;
  /** Below this many coins a hopper is reported low (degraded). */
  lowLevel?: number;
  change?: ChangeOptions;
  onLevels?: (levels: Record<number, number>) => void;
  log?: DriverLog;
}

export class HopperDispenser implements ChangeDispenser {
  readonly name: string;
  private readonly hoppers = new Map<number, ParallelHopper>();
  private readonly fill = new Map<number, number>();
  private readonly log: DriverLog;
  private running = false;

  constructor(private readonly options: HopperDispenserOptions) {
    this.name = options.name ?? 'hoppers';
    this.log = options.log ?? nullLog;
    for (const h of options.hoppers) {
      if (this.hoppers.has(h.value)) throw new RangeError(`two hoppers for value ${h.value}`);
      this.hoppers.set(h.value, h);
      this.fill.set(h.value, Math.max(0, Math.floor(options.levels?.[h.value] ?? 0)));
    }
  }

  levels(): Record<number, number> {
    return Object.fromEntries(this.fill);
  }

  /** The technician counted the coins in a hopper (also clears its empty/jam condition). */
  setLevel(value: number, count: number): void {
    const h = this.hoppers.get(value);
    if (!h || !Number.isInteger(count) || count < 0) throw new RangeError(`cannot set level of ${value} to ${count}`);
    this.fill.set(value, count);
    h.reset();
    this.changed();
  }

  /** The technician added coins. */
  refill(value: number, added: number): void {
    this.setLevel(value, (this.fill.get(value) ?? 0) + added);
  }

  payable(amount: number): number {
    return makeChange(amount, this.usableLevels(), this.options.change).paid;
  }

  async dispense(amount: number, onCoin: (value: number) => Promise<void>): Promise<DispenseResult> {
    let paid = 0;
    const excluded = new Set<number>();
    while (paid < amount) {
      const plan = makeChange(amount - paid, this.usableLevels(excluded), this.options.change);
      if (plan.coins.length === 0) break;
      let short = false;
      for (const [value, count] of plan.coins) {
        const hopper = this.hoppers.get(value)!;
        const run = await hopper.pay(count, async () => {
          this.fill.set(value, Math.max(0, (this.fill.get(value) ?? 0) - 1));
          paid += value;
          this.changed();
          await onCoin(value);
        });
        if (run.stop !== 'done') {
          excluded.add(value);
          if (run.stop === 'empty') {
            // The sensor says empty: the counted level was wrong.
            this.fill.set(value, 0);
            this.changed();
          }
          short = true;
          break;
        }
        if (paid >= amount) break;
      }
      if (!short) break;
    }
    const rest = Math.max(0, amount - paid);
    if (paid > amount) this.log.warn({ device: this.name, amount, paid }, 'hoppers: late coins paid more than due');
    if (rest > 0) this.log.warn({ device: this.name, amount, paid, rest }, 'hoppers: change not fully paid');
    return { paid, rest };
  }

  health(): DeviceHealth {
    const h = (state: DeviceHealth['state'], detail: string): DeviceHealth => ({ name: this.name, kind: 'dispenser', state, detail });
    if (!this.running) return h('offline', 'stopped');
    const problems: string[] = [];
    let usable = 0;
    for (const [value, hopper] of this.hoppers) {
      const c = hopper.condition();
      const level = this.fill.get(value) ?? 0;
      if (c.kind === 'ok') {
        if (level > 0) usable++;
        if (level < (this.options.lowLevel ?? 10)) problems.push(`${value}: ${level === 0 ? 'empty' : `low (${level})`}`);
      } else {
        problems.push(`${value}: ${c.kind === 'error' ? c.meaning : c.kind === 'no-coin' ? 'no coin came out (empty or jammed)' : c.kind}`);
      }
    }
    if (usable === 0) return h('fault', problems.join('; ') || 'no hoppers');
    return problems.length > 0 ? h('degraded', problems.join('; ')) : h('ok', 'ready');
  }

  async start(): Promise<void> {
    for (const h of this.hoppers.values()) await h.start();
    this.running = true;
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const h of this.hoppers.values()) await h.stop();
  }

  private usableLevels(excluded: Set<number> = new Set()): Record<number, number> {
    const out: Record<number, number> = {};
    for (const [value, hopper] of this.hoppers) {
      if (excluded.has(value) || hopper.condition().kind !== 'ok' || !hopper.isRunning()) continue;
      out[value] = this.fill.get(value) ?? 0;
    }
    return out;
  }

  private changed(): void {
    this.options.onLevels?.(this.levels());
  }
}
