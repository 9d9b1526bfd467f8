/**
 * Simulated lines: a set of in-process wires that drivers claim through the LineProvider interface and
 * that simulators and tests drive from the other side, with exact edge timestamps, so a pulse train
 * recorded from a real acceptor (or generated with jitter) reaches a driver exactly as timed.
 */
import { ErrorCode, PayPointError } from '../../errors.js';
import { now, type Edge, type InputLine, type InputOptions, type Level, type LineProvider, type OutputLine, type OutputOptions } from './line.js';

/** One wire: its electrical level (0/1 volts-wise, before any activeLow inversion). */
export class SimWire {
  private level: Level;
  private readonly listeners = new Set<(level: Level, at: bigint) => void>();

  constructor(readonly pin: number, initial: Level = 0) {
    this.level = initial;
  }

  get(): Level {
    return this.level;
  }

  /** Sets the wire's level at time `at` (default: now); listeners hear only real changes. */
  set(level: Level, at: bigint = now()): void {
    if (level === this.level) return;
    this.level = level;
    for (const l of [...this.listeners]) l(level, at);
  }

  /** Subscribes to changes of the wire; returns the unsubscribe function. */
  watch(listener: (level: Level, at: bigint) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

export class SimLines implements LineProvider {
  private readonly wires = new Map<number, SimWire>();
  private readonly claimed = new Set<number>();

  constructor(readonly name = 'sim-gpio', private readonly pinCount = 64) {}

  /** The wire at `pin`, for the device simulator or the test to drive or watch. */
  wire(pin: number, initial: Level = 0): SimWire {
    this.check(pin);
    let w = this.wires.get(pin);
    if (!w) {
      w = new SimWire(pin, initial);
      this.wires.set(pin, w);
    }
    return w;
  }

  async input(pin: number, options: InputOptions = {}): Promise<InputLine> {
    this.claim(pin);
    // A pulled-up input floats high until something pulls it down.
    const wire = this.wire(pin, options.pull === 'up' ? 1 : 0);
    const inv = options.activeLow ? 1 : 0;
    const unsubs = new Set<() => void>();
    return {
      name: `${this.name}:${pin}`,
      read: async () => (wire.get() ^ inv) as Level,
      onEdge: (handler: (e: Edge) => void) => {
        const u = wire.watch((level, at) => handler({ level: (level ^ inv) as Level, at }));
        unsubs.add(u);
        return () => {
          u();
          unsubs.delete(u);
        };
      },
      // Edges are handed to the handlers as the wire changes: nothing is ever on its way.
      sync: async () => now(),
      close: async () => {
        for (const u of unsubs) u();
        unsubs.clear();
        this.claimed.delete(pin);
      },
    };
  }

  async output(pin: number, options: OutputOptions): Promise<OutputLine> {
    this.claim(pin);
    const wire = this.wire(pin);
    const inv = options.activeLow ? 1 : 0;
    wire.set((options.initial ^ inv) as Level);
    let last = options.initial;
    return {
      name: `${this.name}:${pin}`,
      write: async (level: Level) => {
        last = level;
        wire.set((level ^ inv) as Level);
      },
      read: async () => last,
      close: async () => {
        this.claimed.delete(pin);
      },
    };
  }

  async close(): Promise<void> {
    this.claimed.clear();
  }

  private check(pin: number): void {
    if (!Number.isInteger(pin) || pin < 0 || pin >= this.pinCount) {
      throw new PayPointError(ErrorCode.DeviceUnsupported, `${this.name} has no pin ${pin}`, { provider: this.name, pin });
    }
  }

  private claim(pin: number): void {
    this.check(pin);
    if (this.claimed.has(pin)) throw new PayPointError(ErrorCode.DeviceNotReady, `${this.name} pin ${pin} is already in use`, { provider: this.name, pin });
    this.claimed.add(pin);
  }
}

/**
 * Plays a recorded or generated sequence of wire levels with their times (ms from the start) on a
 * wire, with timestamps base + t: no real waiting, exact timings.
 */
export function playEdges(wire: SimWire, edges: Array<[ms: number, level: Level]>, base: bigint = now()): bigint {
  let last = base;
  for (const [ms, level] of edges) {
    last = base + BigInt(Math.round(ms * 1e6));
    wire.set(level, last);
  }
  return last;
}
