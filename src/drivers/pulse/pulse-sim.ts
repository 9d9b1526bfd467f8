/**
 * A pulse-mode coin acceptor or bill validator simulated on a SimLines wire, in real time: it plays
 * `count` pulses for a value, and refuses (returns the coin) while its inhibit wire is active, as a
 * CH-926 does. For the daemon's simulated board and end-to-end tests; unit tests of the decoder play
 * exact timings with playEdges instead.
 */
import type { SimWire } from '../../transports/gpio/sim-lines.js';
import type { Level } from '../../transports/gpio/line.js';

export interface PulseSimOptions {
  /** value (kopecks) -> pulses. */
  pulsesFor: Record<number, number>;
  pulseMs?: number;
  gapMs?: number;
  /** Quiet time after each coin before the next can start (a mechanism's own pace), ms. */
  pauseMs?: number;
  /** The wire idles high and pulses pull it low (open collector), as in the reference wiring. */
  activeLow?: boolean;
  /** The inhibit wire and the electrical level at which it blocks. */
  inhibit?: { wire: SimWire; blockingLevel: Level };
}

export class PulseDeviceSim {
  private busy: Promise<void> = Promise.resolve();

  constructor(private readonly wire: SimWire, private readonly options: PulseSimOptions) {
    wire.set(options.activeLow ? 1 : 0);
  }

  inhibited(): boolean {
    const i = this.options.inhibit;
    return !!i && i.wire.get() === i.blockingLevel;
  }

  /** Inserts a coin or bill; resolves when its pulses are out and the mechanism is ready for the next. */
  async insert(value: number): Promise<'inserted' | 'refused' | 'unknown'> {
    const count = this.options.pulsesFor[value];
    if (count === undefined) return 'unknown';
    if (this.inhibited()) return 'refused';
    const pause = this.options.pauseMs ?? 400;
    const run = this.busy.then(async () => {
      await this.pulses(count);
      await new Promise((r) => setTimeout(r, pause));
    });
    this.busy = run;
    await run;
    return 'inserted';
  }

  /** Plays a raw train of `count` pulses (tests: counts the table does not know). */
  pulses(count: number): Promise<void> {
    const on = (this.options.activeLow ? 0 : 1) as Level;
    const off = (1 - on) as Level;
    const pulseMs = this.options.pulseMs ?? 50;
    const gapMs = this.options.gapMs ?? 50;
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    return (async () => {
      for (let i = 0; i < count; i++) {
        this.wire.set(on);
        await sleep(pulseMs);
        this.wire.set(off);
        if (i < count - 1) await sleep(gapMs);
      }
    })();
  }
}
