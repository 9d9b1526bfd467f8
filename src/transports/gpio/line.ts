/**
 * Digital lines, the only thing line-driven devices (pulse coin acceptor, pulse bill validator, hoppers,
 * inhibit relays, sensors) need from hardware. Implemented by the Pi's GPIO (onoff-gpio.ts), the
 * MCP23017 expander (drivers/mcp23017) and the simulator (sim-lines.ts), so a device can be wired to
 * any of them (README.md, "Cash hardware").
 *
 * Levels are logical: with `activeLow` the line reads 1 when the wire is at 0 V (open-collector outputs
 * of coin mechanisms pull the line low while active).
 */
export type Level = 0 | 1;

export interface Edge {
  /** Logical level after the edge. */
  level: Level;
  /** process.hrtime.bigint() taken as early as the implementation can (monotonic, nanoseconds). */
  at: bigint;
  /**
   * The line went to the other level and back since the previous edge, unseen: the level read when this
   * change was noticed equals the previous edge's. Kernel GPIO sysfs wakes a poller once for any number of
   * edges before its next read, so a reader that comes late (a busy event loop) finds an unseen pulse, or
   * gap, already over. Its length is unknown and `at` is when it was noticed, not when it happened.
   */
  missed?: true;
}

export interface InputLine {
  readonly name: string;
  read(): Promise<Level>;
  /** Calls `handler` on every change; returns the unsubscribe function. */
  onEdge(handler: (edge: Edge) => void): () => void;
  /**
   * Ordering barrier: resolves once every edge the reader had seen when sync() was called has been passed
   * to the handlers, with a time (process.hrtime.bigint()) up to which it has passed on every edge it saw.
   * A decoder whose timer says "a train has ended" calls it first and ticks at that time: a reader in
   * another process (onoff-gpio.ts) may have an edge of the same train still on its way. Readers that call
   * the handlers directly (the simulator, the MCP23017 driver's poll) resolve at once with now().
   */
  sync(): Promise<bigint>;
  close(): Promise<void>;
}

export interface OutputLine {
  readonly name: string;
  write(level: Level): Promise<void>;
  /** The level last written. */
  read(): Promise<Level>;
  close(): Promise<void>;
}

export interface InputOptions {
  activeLow?: boolean;
  /** Internal pull resistor where the chip has one (MCP23017: pull-up only; Pi GPIO: set in config.txt). */
  pull?: 'up' | 'none';
}

export interface OutputOptions {
  activeLow?: boolean;
  /** Level driven from the moment the line is claimed (an inhibit must not glitch open at boot). */
  initial: Level;
}

/** A source of lines: the Pi's GPIO header, an I/O expander, or the simulator. */
export interface LineProvider {
  readonly name: string;
  input(pin: number, options?: InputOptions): Promise<InputLine>;
  output(pin: number, options: OutputOptions): Promise<OutputLine>;
  close(): Promise<void>;
}

export function now(): bigint {
  return process.hrtime.bigint();
}

export const NS_PER_MS = 1_000_000n;

/** Milliseconds between two edge timestamps, as a float. */
export function msBetween(from: bigint, to: bigint): number {
  return Number(to - from) / 1e6;
}
