/**
 * The side of the Pi's GPIO that holds the onoff objects: claims lines, writes outputs, and timestamps
 * every edge in onoff's epoll callback. It runs in the GPIO helper process (onoff-helper.ts), whose event
 * loop does nothing else, so the timestamp is taken when the edge is read, not when a busy daemon loop
 * (SOAP, the store's fsyncs, logging) gets round to it; sysfs wakes a poller once for any number of edges
 * before its read, so a late read also loses whole pulses. The daemon (onoff-gpio.ts) talks to it with
 * the messages below, in order on one channel. Tests run it in-process with a fake onoff (`factory`).
 */
import { now, type Level } from './line.js';

/** The subset of onoff's Gpio used here (onoff.d.ts). */
export interface OnoffGpioLike {
  readSync(): 0 | 1;
  writeSync(value: 0 | 1): void;
  watch(cb: (err: Error | null | undefined, value: 0 | 1) => void): void;
  unwatchAll(): void;
  unexport(): void;
}
export type OnoffFactory = (sysfsNumber: number, direction: 'in' | 'out' | 'high' | 'low', edge: 'none' | 'both', options: { activeLow: boolean }) => OnoffGpioLike;

/** Daemon -> helper. Every request is answered, in order, by a reply with its `seq`. */
export type HostRequest = { seq: number } & (
  | { t: 'input'; id: number; sysfs: number; activeLow: boolean }
  | { t: 'output'; id: number; sysfs: number; direction: 'high' | 'low'; activeLow: boolean }
  | { t: 'write'; id: number; level: Level }
  | { t: 'read'; id: number }
  | { t: 'release'; id: number }
  /** The barrier (InputLine.sync): its reply follows every edge posted before it. */
  | { t: 'sync' }
);

/** Helper -> daemon. */
export type HostMessage =
  | { t: 'edge'; id: number; level: Level; at: bigint; missed?: true }
  /** `at`: when the helper handled the request; every edge it had seen by then was posted before this. */
  | { t: 'reply'; seq: number; at: bigint; value?: Level }
  | { t: 'reply'; seq: number; at: bigint; error: { message: string; unsupported: boolean } }
  /** Sent once at start: the helper's scheduling priority (nice), or why it could not be set. */
  | { t: 'started'; pid: number; nice: number | null; niceError?: string };

/** Thrown by a factory when the machine has no GPIO: the daemon reports DeviceUnsupported, not NotReady. */
export class GpioUnsupported extends Error {}

export class OnoffHost {
  private readonly lines = new Map<number, OnoffGpioLike>();

  constructor(
    private readonly factory: () => Promise<OnoffFactory>,
    private readonly post: (m: HostMessage) => void,
  ) {}

  async handle(req: HostRequest): Promise<void> {
    try {
      const value = await this.run(req);
      this.post(value === undefined ? { t: 'reply', seq: req.seq, at: now() } : { t: 'reply', seq: req.seq, at: now(), value });
    } catch (e) {
      this.post({ t: 'reply', seq: req.seq, at: now(), error: { message: (e as Error).message, unsupported: e instanceof GpioUnsupported } });
    }
  }

  releaseAll(): void {
    for (const id of [...this.lines.keys()]) this.release(id);
  }

  private async run(req: HostRequest): Promise<Level | undefined> {
    switch (req.t) {
      case 'input': {
        const gpio = (await this.factory())(req.sysfs, 'in', 'both', { activeLow: req.activeLow });
        this.lines.set(req.id, gpio);
        // onoff calls back once per sysfs wake-up with the value read then, and edge=both wakes it on every
        // change: so each call is at least one edge. A value equal to the last one means two (or an even
        // number of) edges fell before the read: the edge is passed on marked `missed` instead of dropped
        // as a repeat (a late read would otherwise lose a whole pulse).
        let last = gpio.readSync();
        gpio.watch((err, value) => {
          // The first thing in onoff's epoll callback: the earliest point in JavaScript.
          const at = now();
          if (err) return;
          this.post(value === last ? { t: 'edge', id: req.id, level: value, at, missed: true } : { t: 'edge', id: req.id, level: value, at });
          last = value;
        });
        return last;
      }
      case 'output': {
        const gpio = (await this.factory())(req.sysfs, req.direction, 'none', { activeLow: req.activeLow });
        this.lines.set(req.id, gpio);
        return undefined;
      }
      case 'write':
        this.line(req.id).writeSync(req.level);
        return undefined;
      case 'read':
        return this.line(req.id).readSync();
      case 'release':
        this.release(req.id);
        return undefined;
      case 'sync':
        // Edges are posted from onoff's callback as they are read, on this same channel: the reply comes
        // after all of them.
        return undefined;
    }
  }

  private line(id: number): OnoffGpioLike {
    const g = this.lines.get(id);
    if (!g) throw new Error(`line ${id} is not claimed`);
    return g;
  }

  private release(id: number): void {
    const g = this.lines.get(id);
    if (!g) return;
    this.lines.delete(id);
    g.unwatchAll();
    g.unexport();
  }
}
