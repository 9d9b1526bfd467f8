import t from 'tap';
import { analysePulses, formatPulseReport } from '../../../src/codecs/pulse/pulse-analysis.js';
import { PulseDecoder } from '../../../src/codecs/pulse/pulse-decoder.js';
import { rng, run, toEdges, trains } from './pulse-fixtures.js';

t.test('measures widths, gaps and pauses, and its suggestion decodes the same coins', async (t) => {
  const random = rng(9);
  const counts = [1, 2, 5, 10, 2, 1];
  const seq = trains(counts.map((pulses) => ({ pulses, pulseMs: 30, gapMs: 70, jitterMs: 4 })), 600, random);
  const report = analysePulses(toEdges(seq));
  t.same(report.trains, counts);
  t.ok(report.pulseMs.min >= 26 && report.pulseMs.max <= 34);
  t.ok(report.gapMs.min >= 66 && report.gapMs.max <= 74);
  t.equal(report.pauseMs.n, 5);
  const decoder = new PulseDecoder({ ...report.suggested, values: { 1: 100, 2: 200, 5: 500, 10: 1000 } });
  const events = run(decoder, toEdges(seq));
  t.same(events.filter((e) => e.kind === 'credit').map((e) => (e as { value: number }).value), [100, 200, 500, 1000, 200, 100]);
  t.match(formatPulseReport(report), /trains \(pulses per coin\): 1 2 5 10 2 1/);
});

t.test('no edges: an empty report', async (t) => {
  const r = analysePulses([]);
  t.same(r.trains, []);
  t.match(formatPulseReport(r), /pulse width: none/);
});
