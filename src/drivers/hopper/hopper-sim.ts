/**
 * A parallel hopper (Azkoyen U-II style) simulated on SimLines wires, in real time: while its motor
 * wire is high it drops a coin every `coinIntervalMs` (a `pulseMs` pulse on the coin-out wire), raises
 * the empty wire when few coins are left, can jam after N coins (and then send an error-code train),
 * and can drop late coins after the motor stops (run-down). Wires active high unless `activeLow` says.
 */
import type { SimWire } from '../../transports/gpio/sim-lines.js';

export interface HopperSimWires {
  motor: SimWire;
  coinOut: SimWire;
  error?: SimWire;
  empty?: SimWire;
}

export interface HopperSimOptions {
  coins: number;
  coinIntervalMs?: number;
  pulseMs?: number;
  /** The empty sensor reads 1 at or below this many coins. */
  emptyBelow?: number;
  /** Coins that still drop after the motor stops, if the hopper has them. */
  runDownCoins?: number;
  /** Outputs that are active low on the wire (open collector to a pulled-up input). Motor is active high. */
  activeLow?: { coinOut?: boolean; error?: boolean; empty?: boolean };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class HopperSim {
  coins: number;
  /** Test hook: jam after this many more coins (null: never). */
  jamAfter: number | null = null;
  /** Test hook: error code sent as a pulse train when the jam happens (null: none). */
  jamErrorCode: number | null = null;
  /** Coins dropped in all. */
  dropped = 0;
  private running = false;
  private readonly interval: number;
  private readonly pulseMs: number;
  private readonly emptyBelow: number;
  private readonly runDown: number;
  private readonly inv: { coinOut: number; error: number; empty: number };

  constructor(private readonly wires: HopperSimWires, options: HopperSimOptions) {
    this.coins = options.coins;
    this.interval = options.coinIntervalMs ?? 60;
    this.pulseMs = options.pulseMs ?? 35;
    this.emptyBelow = options.emptyBelow ?? 0;
    this.runDown = options.runDownCoins ?? 0;
    this.inv = { coinOut: options.activeLow?.coinOut ? 1 : 0, error: options.activeLow?.error ? 1 : 0, empty: options.activeLow?.empty ? 1 : 0 };
    wires.coinOut.set(this.level(0, 'coinOut'));
    wires.error?.set(this.level(0, 'error'));
    this.updateEmpty();
    wires.motor.watch((level) => {
      if (level === 1 && !this.running) void this.run();
    });
  }

  /** The technician refills (and clears a jam). */
  refill(coins: number): void {
    this.coins = coins;
    this.jamAfter = null;
    this.updateEmpty();
  }

  private level(logical: 0 | 1, which: 'coinOut' | 'error' | 'empty'): 0 | 1 {
    return (logical ^ this.inv[which]) as 0 | 1;
  }

  private updateEmpty(): void {
    this.wires.empty?.set(this.level(this.coins <= this.emptyBelow ? 1 : 0, 'empty'));
  }

  private async drop(): Promise<void> {
    this.coins--;
    this.dropped++;
    this.wires.coinOut.set(this.level(1, 'coinOut'));
    await sleep(this.pulseMs);
    this.wires.coinOut.set(this.level(0, 'coinOut'));
    this.updateEmpty();
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.wires.motor.get() === 1) {
        await sleep(this.interval - this.pulseMs);
        if (this.wires.motor.get() !== 1) break;
        if (this.jamAfter === 0) {
          if (this.jamErrorCode !== null && this.wires.error) await this.errorTrain(this.jamErrorCode);
          this.jamAfter = -1; // jammed: nothing more comes out
        }
        if (this.coins <= 0 || (this.jamAfter !== null && this.jamAfter < 0)) {
          await sleep(this.pulseMs);
          continue;
        }
        if (this.jamAfter !== null) this.jamAfter--;
        await this.drop();
      }
      for (let i = 0; i < this.runDown && this.coins > 0 && !(this.jamAfter !== null && this.jamAfter < 0); i++) {
        await sleep(10);
        await this.drop();
      }
    } finally {
      this.running = false;
    }
  }

  private async errorTrain(code: number): Promise<void> {
    for (let i = 0; i < code; i++) {
      this.wires.error!.set(this.level(1, 'error'));
      await sleep(20);
      this.wires.error!.set(this.level(0, 'error'));
      await sleep(20);
    }
  }
}
