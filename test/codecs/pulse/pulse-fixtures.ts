/** Generated and recorded pulse trains for the decoder tests (not a test file). */
import type { Edge, Level } from '../../../src/transports/gpio/line.js';
import type { PulseDecoder, PulseEvent } from '../../../src/codecs/pulse/pulse-decoder.js';

export { rng } from '../../helpers/rng.js';

export interface TrainSpec {
  pulses: number;
  pulseMs: number;
  gapMs: number;
  /** +- this much, uniformly, on every width and gap. */
  jitterMs: number;
  /** Probability of a bounce (a 0.3-1.5 ms drop) inside each pulse. */
  bounce?: number;
}

/** Edges (ms from 0, level) of a sequence of trains separated by `pauseMs`, with optional noise spikes between them. */
export function trains(specs: TrainSpec[], pauseMs: number, random: () => number, noiseSpikes = 0): Array<[number, Level]> {
  const out: Array<[number, Level]> = [];
  let t = 10;
  const j = (x: number, jit: number) => x + (random() * 2 - 1) * jit;
  for (const s of specs) {
    for (let i = 0; i < s.pulses; i++) {
      const w = j(s.pulseMs, s.jitterMs);
      out.push([t, 1]);
      if (s.bounce && random() < s.bounce) {
        const at = t + w * (0.2 + random() * 0.6);
        out.push([at, 0], [at + 0.3 + random() * 1.2, 1]);
      }
      t += w;
      out.push([t, 0]);
      if (i < s.pulses - 1) t += j(s.gapMs, s.jitterMs);
    }
    // Noise spikes (1-3 ms) in the pause, far from the train edges.
    for (let k = 0; k < noiseSpikes; k++) {
      // One slot per spike, so two spikes never merge into one.
      const at = t + pauseMs * (0.3 + (0.4 * (k + 0.1 + 0.8 * random())) / noiseSpikes);
      out.push([at, 1], [at + 1 + random() * 2, 0]);
    }
    t += pauseMs;
  }
  out.sort((a, b) => a[0] - b[0]);
  return out;
}

export function toEdges(seq: Array<[number, Level]>, base = 1_000_000_000n): Edge[] {
  return seq.map(([ms, level]) => ({ level, at: base + BigInt(Math.round(ms * 1e6)) }));
}

/** Runs the decoder as the driver does: ticks at each deadline that falls before the next edge, then to the end. */
export function run(decoder: PulseDecoder, edges: Edge[]): PulseEvent[] {
  const out: PulseEvent[] = [];
  const drain = (until: bigint | null) => {
    for (let d = decoder.nextDeadline(); d !== null && (until === null || d <= until); d = decoder.nextDeadline()) {
      out.push(...decoder.tick(d));
    }
  };
  for (const e of edges) {
    drain(e.at);
    out.push(...decoder.edge(e));
  }
  drain(null);
  return out;
}
