/**
 * `paypoint hw pulses LINE` (README.md, "Cash hardware"): records a line's edges while the technician feeds coins,
 * then measures pulse and gap widths and suggests decoder timings. The CLI prints formatPulseReport().
 */
import { analysePulses, type PulseReport } from '../../codecs/pulse/pulse-analysis.js';
import type { Edge, InputLine } from '../../transports/gpio/line.js';

export interface MeasureOptions {
  /** Stop after this long, ms. */
  durationMs: number;
  /** Or after this many trains (counted with splitGapMs), whichever first. */
  trains?: number;
  /** A pause longer than this separates trains, ms. */
  splitGapMs?: number;
  /** Called on every edge (the CLI can show a live dot per pulse). */
  onEdge?: (e: Edge) => void;
  signal?: AbortSignal;
}

export async function measurePulses(line: InputLine, options: MeasureOptions): Promise<PulseReport> {
  const edges: Edge[] = [];
  const split = options.splitGapMs ?? 300;
  await new Promise<void>((resolve) => {
    let trains = 0;
    let lastFall: bigint | null = null;
    let stopTimer: NodeJS.Timeout | null = null;
    const finish = () => {
      off();
      clearTimeout(timer);
      if (stopTimer) clearTimeout(stopTimer);
      options.signal?.removeEventListener('abort', finish);
      resolve();
    };
    const off = line.onEdge((e) => {
      edges.push(e);
      options.onEdge?.(e);
      if (e.level === 1 && (lastFall === null || Number(e.at - lastFall) / 1e6 > split)) trains++;
      if (e.level === 0) {
        lastFall = e.at;
        // The wanted number of trains has begun; stop once the last one has had time to end.
        if (options.trains !== undefined && trains >= options.trains) {
          if (stopTimer) clearTimeout(stopTimer);
          // The barrier first: an edge the reader saw before the time was up is still recorded.
          stopTimer = setTimeout(() => void line.sync().then(finish, finish), split);
        }
      }
    });
    const timer = setTimeout(() => void line.sync().then(finish, finish), options.durationMs);
    options.signal?.addEventListener('abort', finish);
  });
  return analysePulses(edges, split);
}
