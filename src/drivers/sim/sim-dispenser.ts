/**
 * Simulated change hoppers, one per coin value: pays greedily from the largest coin down, coin by coin,
 * awaiting `onCoin` (persistence) for each; what it cannot pay is the rest amount. `jamAfter` and
 * empty hoppers let tests and demos produce a rest amount.
 */
import type { ChangeDispenser, DeviceHealth, DispenseResult } from '../interfaces.js';
import { makeChange } from '../../base/change.js';

export class SimDispenser implements ChangeDispenser {
  private readonly fill = new Map<number, number>();
  private state: DeviceHealth['state'] = 'offline';
  /** Test and demo hook: the number of coins after which the hopper jams (null: never). */
  jamAfter: number | null = null;
  private paidCoins = 0;

  constructor(
    readonly name: string,
    coins: number[],
    fill: number[],
    /** Delay between coins, ms, like a real hopper's motor (0 in unit tests). */
    private readonly coinIntervalMs = 0,
  ) {
    coins.forEach((c, i) => this.fill.set(c, fill[i] ?? 0));
  }

  levels(): Record<number, number> {
    return Object.fromEntries(this.fill);
  }

  setLevel(value: number, count: number): void {
    if (this.fill.has(value)) this.fill.set(value, count);
  }

  refill(value: number, added: number): void {
    if (this.fill.has(value)) this.fill.set(value, (this.fill.get(value) ?? 0) + added);
    // A refilled unit is serviced: a jam the tests or demos set is cleared too.
    if (this.state === 'fault') {
      this.state = 'ok';
      this.jamAfter = null;
    }
  }

  payable(amount: number): number {
    return amount - makeChange(amount, this.levels()).rest;
  }

  async dispense(amount: number, onCoin: (value: number) => Promise<void>): Promise<DispenseResult> {
    const plan = makeChange(amount, this.levels());
    let paid = 0;
    for (const [value, count] of plan.coins) {
      for (let i = 0; i < count; i++) {
        if (this.jamAfter !== null && this.paidCoins >= this.jamAfter) {
          this.state = 'fault';
          return { paid, rest: amount - paid };
        }
        if (this.coinIntervalMs > 0) await new Promise((r) => setTimeout(r, this.coinIntervalMs));
        this.fill.set(value, (this.fill.get(value) ?? 0) - 1);
        this.paidCoins++;
        await onCoin(value);
        paid += value;
      }
    }
    return { paid, rest: amount - paid };
  }

  health(): DeviceHealth {
    const empty = [...this.fill.values()].every((n) => n === 0);
    // A hopper with no coins is not "ready" even while others can still pay change: named like the
    // board's hoppers do ("500: empty"), so the status page shows which one to refill.
    const someEmpty = [...this.fill].filter(([, n]) => n === 0).map(([v]) => `${v}: empty`);
    const detail = this.state === 'fault' ? 'jammed' : empty ? 'empty' : someEmpty.length ? someEmpty.join('; ') : 'ready';
    return { name: this.name, kind: 'dispenser', state: this.state === 'ok' && (empty || someEmpty.length > 0) ? 'degraded' : this.state, detail };
  }

  async start(): Promise<void> {
    this.state = 'ok';
  }

  async stop(): Promise<void> {
    this.state = 'offline';
  }
}
