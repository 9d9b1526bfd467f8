import t from 'tap';
import { SimLines, playEdges } from '../../../src/transports/gpio/sim-lines.js';
import { ErrorCode } from '../../../src/errors.js';
import type { Edge } from '../../../src/transports/gpio/line.js';

t.test('an input sees the wire with exact timestamps, inverted when active-low', async (t) => {
  const lines = new SimLines();
  const input = await lines.input(5, { activeLow: true, pull: 'up' });
  t.equal(await input.read(), 0, 'pulled up and active-low: inactive');
  const edges: Edge[] = [];
  const off = input.onEdge((e) => edges.push(e));
  const wire = lines.wire(5);
  playEdges(wire, [[0, 0], [50, 1], [100, 0], [100.5, 0]], 1_000_000_000n);
  t.same(edges, [
    { level: 1, at: 1_000_000_000n },
    { level: 0, at: 1_050_000_000n },
    { level: 1, at: 1_100_000_000n },
  ]);
  off();
  wire.set(1);
  t.equal(edges.length, 3);
});

t.test('an output drives its wire; the device side watches it', async (t) => {
  const lines = new SimLines();
  const seen: number[] = [];
  lines.wire(7).watch((l) => seen.push(l));
  const out = await lines.output(7, { initial: 1, activeLow: true });
  t.equal(lines.wire(7).get(), 0);
  await out.write(0);
  t.equal(lines.wire(7).get(), 1);
  t.equal(await out.read(), 0);
  t.same(seen, [1]);
});

t.test('a pin cannot be claimed twice or out of range', async (t) => {
  const lines = new SimLines('sim', 16);
  const a = await lines.input(1);
  await t.rejects(lines.output(1, { initial: 0 }), { code: ErrorCode.DeviceNotReady });
  await a.close();
  await lines.output(1, { initial: 0 });
  await t.rejects(lines.input(16), { code: ErrorCode.DeviceUnsupported });
});
