import t from 'tap';
import { SimLines, playEdges } from '../../../src/transports/gpio/sim-lines.js';
import { measurePulses } from '../../../src/drivers/pulse/calibrate.js';
import { formatPulseReport } from '../../../src/codecs/pulse/pulse-analysis.js';

t.test('measures the pulses a technician feeds on a line', async (t) => {
  const lines = new SimLines();
  const line = await lines.input(4, { activeLow: true, pull: 'up' });
  const wire = lines.wire(4);
  const measuring = measurePulses(line, { durationMs: 5_000, trains: 2, splitGapMs: 200 });
  // Two coins: 2 pulses of 30 ms, 40 ms apart; then 1 pulse, 500 ms later.
  playEdges(wire, [[0, 0], [30, 1], [70, 0], [100, 1], [600, 0], [630, 1]]);
  const report = await measuring;
  t.same(report.trains, [2, 1]);
  t.equal(report.pulseMs.n, 3);
  t.ok(Math.abs(report.pulseMs.mean - 30) < 0.01);
  t.ok(Math.abs(report.gapMs.max - 40) < 0.01);
  t.match(formatPulseReport(report), /suggested: min_pulse_ms=15 /);
});

t.test('an abort ends the measurement', async (t) => {
  const lines = new SimLines();
  const line = await lines.input(4);
  const ac = new AbortController();
  const p = measurePulses(line, { durationMs: 60_000, signal: ac.signal });
  ac.abort();
  t.same((await p).trains, []);
});
