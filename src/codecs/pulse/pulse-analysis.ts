/**
 * Calibration (`paypoint hw pulses LINE`, README.md, "Cash hardware"): from raw edges recorded on a line while a
 * technician feeds coins, measure pulse widths, gaps inside trains and pauses between trains, and
 * suggest decoder timings for the unit at hand. Pure.
 */
import type { Edge } from '../../transports/gpio/line.js';
import type { PulseTimings } from './pulse-decoder.js';

export interface Spread {
  n: number;
  min: number;
  max: number;
  mean: number;
}

export interface PulseReport {
  /** Pulse counts of the trains seen, in order. */
  trains: number[];
  pulseMs: Spread;
  gapMs: Spread;
  /** Pauses between trains (ms), when more than one train was seen. */
  pauseMs: Spread;
  suggested: PulseTimings;
}

function spread(values: number[]): Spread {
  if (values.length === 0) return { n: 0, min: 0, max: 0, mean: 0 };
  const sum = values.reduce((a, b) => a + b, 0);
  return { n: values.length, min: Math.min(...values), max: Math.max(...values), mean: sum / values.length };
}

/**
 * Splits the spells of the line into pulses (active) and gaps (inactive); a gap longer than
 * `splitGapMs` separates trains. The default split is generous: one coin's pulses are close together.
 */
export function analysePulses(edges: Edge[], splitGapMs = 300): PulseReport {
  const pulses: number[] = [];
  const gaps: number[] = [];
  const pauses: number[] = [];
  const trains: number[] = [];
  let riseAt: bigint | null = null;
  let fallAt: bigint | null = null;
  let count = 0;
  for (const e of edges) {
    if (e.level === 1 && riseAt === null) {
      if (fallAt !== null) {
        const gap = Number(e.at - fallAt) / 1e6;
        if (gap > splitGapMs) {
          trains.push(count);
          count = 0;
          pauses.push(gap);
        } else gaps.push(gap);
      }
      riseAt = e.at;
    } else if (e.level === 0 && riseAt !== null) {
      pulses.push(Number(e.at - riseAt) / 1e6);
      count++;
      riseAt = null;
      fallAt = e.at;
    }
  }
  if (count > 0) trains.push(count);
  const p = spread(pulses);
  const g = spread(gaps);
  const suggested: PulseTimings = {
    minPulseMs: round(Math.max(2, p.min * 0.5)),
    maxPulseMs: round(Math.max(p.max * 1.5, p.max + 10)),
    minGapMs: round(Math.max(1, Math.min(5, (g.n ? g.min : p.min) * 0.2))),
    trainEndMs: round(Math.max((g.n ? g.max : p.max) * 2.5, 60)),
  };
  return { trains, pulseMs: p, gapMs: g, pauseMs: spread(pauses), suggested };
}

function round(x: number): number {
  return Math.round(x);
}

export function formatPulseReport(r: PulseReport): string {
  const s = (x: Spread) => (x.n === 0 ? 'none' : `n=${x.n} min=${x.min.toFixed(1)} max=${x.max.toFixed(1)} mean=${x.mean.toFixed(1)} ms`);
  return [
    `trains (pulses per coin): ${r.trains.join(' ') || 'none'}`,
    `pulse width: ${s(r.pulseMs)}`,
    `gap inside a train: ${s(r.gapMs)}`,
    `pause between trains: ${s(r.pauseMs)}`,
    `suggested: min_pulse_ms=${r.suggested.minPulseMs} max_pulse_ms=${r.suggested.maxPulseMs} min_gap_ms=${r.suggested.minGapMs} train_end_ms=${r.suggested.trainEndMs}`,
  ].join('\n');
}
