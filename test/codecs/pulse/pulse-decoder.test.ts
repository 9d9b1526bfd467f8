import t from 'tap';
import { PulseDecoder, type PulseDecoderConfig } from '../../../src/codecs/pulse/pulse-decoder.js';
import { rng, run, toEdges, trains } from './pulse-fixtures.js';

// CH-926 in medium mode: 50 ms pulses; 1, 2, 5, 10 RUB as 1, 2, 5, 10 pulses.
const CH926: PulseDecoderConfig = {
  minPulseMs: 20,
  maxPulseMs: 120,
  minGapMs: 5,
  trainEndMs: 200,
  values: { 1: 100, 2: 200, 5: 500, 10: 1000 },
};

const credits = (events: ReturnType<typeof run>) => events.filter((e) => e.kind === 'credit').map((e) => (e as { value: number }).value);

t.test('a recorded train of two 50 ms pulses is 2 RUB', async (t) => {
  // Captured on a CH-926 (ms: rise, fall, rise, fall), jitter as measured.
  const seq: Array<[number, 0 | 1]> = [[0, 1], [49.6, 0], [101.2, 1], [151.9, 0]];
  const events = run(new PulseDecoder(CH926), toEdges(seq));
  t.same(events.map((e) => e.kind), ['credit']);
  t.match(events[0], { kind: 'credit', count: 2, value: 200 });
});

t.test('many coins with jitter, bounce and noise spikes: every coin decoded, nothing else', async (t) => {
  for (const seed of [1, 2, 3, 42, 1234]) {
    const random = rng(seed);
    const counts = Array.from({ length: 200 }, () => [1, 2, 5, 10][Math.floor(random() * 4)]);
    const seq = trains(counts.map((pulses) => ({ pulses, pulseMs: 50, gapMs: 50, jitterMs: 8, bounce: 0.2 })), 400, random, 2);
    const events = run(new PulseDecoder(CH926), toEdges(seq));
    t.same(credits(events), counts.map((c) => CH926.values[c]), `seed ${seed}`);
    t.equal(events.filter((e) => e.kind === 'unknown-count' || e.kind === 'spoilt').length, 0);
    t.equal(events.filter((e) => e.kind === 'noise').length, 400, 'each spike reported as noise');
  }
});

t.test('coins back to back: the shortest pause that still exceeds train end separates them', async (t) => {
  const random = rng(7);
  const seq = trains([{ pulses: 5, pulseMs: 50, gapMs: 50, jitterMs: 3 }, { pulses: 1, pulseMs: 50, gapMs: 50, jitterMs: 3 }], 210, random);
  t.same(credits(run(new PulseDecoder(CH926), toEdges(seq))), [500, 100]);
});

t.test('an unknown count is an error event and never a credit', async (t) => {
  const seq = trains([{ pulses: 3, pulseMs: 50, gapMs: 50, jitterMs: 0 }, { pulses: 2, pulseMs: 50, gapMs: 50, jitterMs: 0 }], 400, rng(1));
  const events = run(new PulseDecoder(CH926), toEdges(seq));
  t.match(events, [{ kind: 'unknown-count', count: 3 }, { kind: 'credit', count: 2, value: 200 }]);
});

t.test('a pulse too long spoils its train (not credited); a stuck line too', async (t) => {
  const seq: Array<[number, 0 | 1]> = [[0, 1], [50, 0], [100, 1], [400, 0], [1000, 1], [1050, 0]];
  const events = run(new PulseDecoder(CH926), toEdges(seq));
  t.match(events, [{ kind: 'spoilt', count: 2 }, { kind: 'credit', value: 100 }]);
});

t.test('noise alone produces no train; a bounce does not split a pulse', async (t) => {
  const noise: Array<[number, 0 | 1]> = [[0, 1], [2, 0], [300, 1], [303, 0]];
  t.same(run(new PulseDecoder(CH926), toEdges(noise)).map((e) => e.kind), ['noise', 'noise']);
  const bounce: Array<[number, 0 | 1]> = [[0, 1], [20, 0], [21, 1], [50, 0]];
  t.match(run(new PulseDecoder(CH926), toEdges(bounce)), [{ kind: 'credit', count: 1 }]);
});

t.test('a train closed by the next train edge when no tick came in time (event loop stalled)', async (t) => {
  const d = new PulseDecoder(CH926);
  const e = toEdges([[0, 1], [50, 0], [1000, 1], [1050, 0]]);
  const out = [...d.edge(e[0]), ...d.edge(e[1]), ...d.edge(e[2])];
  t.match(out, [{ kind: 'credit', value: 100 }]);
  t.ok(d.busy());
});

t.test('edges after unseen spells (a late reader of sysfs) still count every pulse', async (t) => {
  // Shaped after the edge traces of the VM test (gpio-sim line, onoff, TCG): a 5-pulse coin (50 ms pulses and gaps) read
  // by a late event loop; the third pulse's two edges came as one wake-up reading the line inactive.
  const seq: Array<[number, 0 | 1]> = [[0, 1], [50.2, 0], [100.4, 1], [150.1, 0], [291.7, 0], [300.9, 1], [350.6, 0], [400.8, 1], [450.3, 0]];
  const edges = toEdges(seq);
  edges[4].missed = true;
  t.match(run(new PulseDecoder(CH926), edges), [{ kind: 'credit', count: 5, value: 500 }]);
  // The same coin with the gap after the second pulse unseen: read active again while active.
  const gap: Array<[number, 0 | 1]> = [[0, 1], [50, 0], [100, 1], [203, 1], [250, 0], [300, 1], [350, 0], [400, 1], [450, 0]];
  const e2 = toEdges(gap);
  e2[3].missed = true;
  t.match(run(new PulseDecoder(CH926), e2), [{ kind: 'credit', count: 5, value: 500 }]);
  // An unseen pulse long after a train ended starts a new train (placed as late as it can have been).
  const late = toEdges([[0, 1], [50, 0], [900, 0]]);
  late[2].missed = true;
  t.match(run(new PulseDecoder(CH926), late), [{ kind: 'credit', count: 1 }, { kind: 'credit', count: 1 }]);
});

t.test('inconsistent timings are refused', async (t) => {
  t.throws(() => new PulseDecoder({ ...CH926, maxPulseMs: 10 }));
  t.throws(() => new PulseDecoder({ ...CH926, trainEndMs: 1 }));
});
