/**
 * Pulse-train decoder for coin acceptors and bill validators in pulse mode (CH-926 class: N pulses of
 * 20/50/100 ms per coin; docs/design.md, "Protocols", openkioskorg/pulseacceptor). Pure: it takes timestamped edges of the
 * logical line (1 = pulse active) and the current time, and returns decoded events; no timers, no I/O.
 *
 * - Noise filter: an active spell shorter than `minPulseMs` is not a pulse; an inactive spell shorter
 *   than `minGapMs` inside a pulse is contact bounce and joins the two halves.
 * - A pulse longer than `maxPulseMs` spoils its train (line stuck or a foreign signal): reported, never
 *   credited.
 * - A train ends `trainEndMs` after its last pulse ended; its pulse count is looked up in `values`.
 *   A count that is not in the table is an error event, never a credit.
 */
import type { Edge } from '../../transports/gpio/line.js';

export interface PulseTimings {
  /** Shorter active spells are noise, ms. */
  minPulseMs: number;
  /** Longer pulses spoil the train, ms. */
  maxPulseMs: number;
  /** Shorter inactive spells inside a pulse are bounce, ms. */
  minGapMs: number;
  /** Inactivity that ends a train, ms (longer than the longest gap between pulses of one coin). */
  trainEndMs: number;
}

export interface PulseDecoderConfig extends PulseTimings {
  /** Pulse count -> value in kopecks. */
  values: Record<number, number>;
}

export type PulseEvent =
  | { kind: 'credit'; count: number; value: number; startedAt: bigint; endedAt: bigint }
  | { kind: 'unknown-count'; count: number; startedAt: bigint; endedAt: bigint }
  | { kind: 'spoilt'; count: number; reason: string; startedAt: bigint; endedAt: bigint }
  | { kind: 'noise'; widthMs: number; at: bigint };

const ms = (ns: bigint) => Number(ns) / 1e6;
const toNs = (m: number) => BigInt(Math.round(m * 1e6));

export class PulseDecoder {
  private readonly minPulse: bigint;
  private readonly maxPulse: bigint;
  private readonly minGap: bigint;
  private readonly trainEnd: bigint;
  private active = false;
  /** Start of the current (or pending) pulse. */
  private pulseStart: bigint | null = null;
  /** End of the last pulse, not yet confirmed (a short gap may follow and merge). */
  private pendingEnd: bigint | null = null;
  private count = 0;
  private trainStart: bigint | null = null;
  private lastPulseEnd: bigint | null = null;
  private spoilt: string | null = null;

  constructor(private readonly config: PulseDecoderConfig) {
    validateTimings(config);
    this.minPulse = toNs(config.minPulseMs);
    this.maxPulse = toNs(config.maxPulseMs);
    this.minGap = toNs(config.minGapMs);
    this.trainEnd = toNs(config.trainEndMs);
  }

  edge(e: Edge): PulseEvent[] {
    if (e.missed) return this.missedSpell(e);
    const out: PulseEvent[] = [];
    if (e.level === 1) {
      if (this.active) return out;
      if (this.pendingEnd !== null && e.at - this.pendingEnd < this.minGap) {
        // Bounce: the pulse goes on.
        this.pendingEnd = null;
        this.active = true;
        return out;
      }
      this.confirmPending(out);
      // A train whose end-of-train time passed without a tick ends here.
      this.closeTrainIfDue(e.at, out);
      this.active = true;
      this.pulseStart = e.at;
    } else {
      if (!this.active) return out;
      this.active = false;
      this.pendingEnd = e.at;
    }
    return out;
  }

  /**
   * An edge after an unseen spell (Edge.missed): at level 0, a whole pulse came and went since the last
   * edge; at level 1, the current pulse ended and a new one began. The unseen pulse is counted with no
   * width to judge: neither the noise filter nor the length limit can apply (a late read of a noise spike
   * counts as a pulse; dropping every pulse a late reader missed would lose coins instead). It is placed
   * at `at`, as late as it can have been: a train whose end was due by then is closed first.
   */
  private missedSpell(e: Edge): PulseEvent[] {
    const out: PulseEvent[] = [];
    if (e.level === 0) {
      if (this.active) {
        // The decoder thought the line active (a bounce join): that pulse ended before the unseen one.
        this.active = false;
        this.pendingEnd = e.at;
      }
      this.confirmPending(out);
      this.closeTrainIfDue(e.at, out);
      this.trainStart ??= e.at;
      this.count++;
      this.lastPulseEnd = e.at;
      return out;
    }
    if (this.active && this.pulseStart !== null) {
      this.trainStart ??= this.pulseStart;
      this.count++;
      this.lastPulseEnd = e.at;
    } else {
      // Inactive with a pending end: that pulse, then an unseen gap and pulse end, then this start.
      this.confirmPending(out);
      this.closeTrainIfDue(e.at, out);
    }
    this.pendingEnd = null;
    this.active = true;
    this.pulseStart = e.at;
    return out;
  }

  /** Call at (or after) nextDeadline(); closes what the passage of time closes. */
  tick(now: bigint): PulseEvent[] {
    const out: PulseEvent[] = [];
    if (this.pendingEnd !== null && now - this.pendingEnd >= this.minGap) this.confirmPending(out);
    if (this.active && this.pulseStart !== null && now - this.pulseStart > this.maxPulse && this.spoilt === null) {
      // Stuck active: spoil now so the train is reported even if the line never comes back.
      this.spoilt = `line active for more than ${this.config.maxPulseMs} ms`;
      this.trainStart ??= this.pulseStart;
    }
    this.closeTrainIfDue(now, out);
    return out;
  }

  /** When tick() next has something to do, or null when idle. */
  nextDeadline(): bigint | null {
    if (this.pendingEnd !== null) return this.pendingEnd + this.minGap;
    if (this.active && this.pulseStart !== null) return this.spoilt === null ? this.pulseStart + this.maxPulse + 1n : null;
    if (this.lastPulseEnd !== null && (this.count > 0 || this.spoilt !== null)) return this.lastPulseEnd + this.trainEnd;
    return null;
  }

  /** The line has been active longer than any pulse may be (jammed coin, wiring fault). */
  stuck(now: bigint): boolean {
    return this.active && this.pulseStart !== null && now - this.pulseStart > this.maxPulse;
  }

  /** True while a train is being received (an inhibit change now could cut a coin in half). */
  busy(): boolean {
    return this.active || this.pendingEnd !== null || this.count > 0 || this.spoilt !== null;
  }

  private confirmPending(out: PulseEvent[]): void {
    if (this.pendingEnd === null || this.pulseStart === null) return;
    const start = this.pulseStart;
    const end = this.pendingEnd;
    this.pendingEnd = null;
    this.pulseStart = null;
    const width = end - start;
    if (width < this.minPulse) {
      out.push({ kind: 'noise', widthMs: ms(width), at: start });
      // Noise neither extends nor starts a train.
      return;
    }
    this.trainStart ??= start;
    if (width > this.maxPulse && this.spoilt === null) this.spoilt = `pulse of ${ms(width).toFixed(1)} ms exceeds ${this.config.maxPulseMs} ms`;
    this.count++;
    this.lastPulseEnd = end;
  }

  private closeTrainIfDue(now: bigint, out: PulseEvent[]): void {
    if (this.active || this.pendingEnd !== null || this.lastPulseEnd === null) return;
    if (this.count === 0 && this.spoilt === null) return;
    if (now - this.lastPulseEnd < this.trainEnd) return;
    const startedAt = this.trainStart ?? this.lastPulseEnd;
    const endedAt = this.lastPulseEnd;
    const count = this.count;
    if (this.spoilt !== null) out.push({ kind: 'spoilt', count, reason: this.spoilt, startedAt, endedAt });
    else {
      const value = this.config.values[count];
      if (value === undefined) out.push({ kind: 'unknown-count', count, startedAt, endedAt });
      else out.push({ kind: 'credit', count, value, startedAt, endedAt });
    }
    this.count = 0;
    this.trainStart = null;
    this.lastPulseEnd = null;
    this.spoilt = null;
  }
}

export function validateTimings(t: PulseTimings): void {
  const ok = t.minPulseMs > 0 && t.maxPulseMs > t.minPulseMs && t.minGapMs >= 0 && t.trainEndMs > t.minGapMs;
  if (!ok) throw new RangeError(`inconsistent pulse timings ${JSON.stringify(t)}`);
}
