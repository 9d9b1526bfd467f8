import t from 'tap';
import { decodePoll, encodePoll, type PollStatus } from '../../../src/codecs/ccnet/poll-status.js';
import { FrameReader, type CcnetFrame } from '../../../src/codecs/ccnet/frame.js';
import { encodeFrame } from '../../../src/codecs/ccnet/frame.js';

t.test('status codes from the CCNET POLL table', async (t) => {
  const cases: Array<[number[], PollStatus]> = [
    [[0x10], { kind: 'power-up', bill: 'none' }],
    [[0x11], { kind: 'power-up', bill: 'validator' }],
    [[0x12], { kind: 'power-up', bill: 'stacker' }],
    [[0x13], { kind: 'initialize' }],
    [[0x14], { kind: 'idling' }],
    [[0x15], { kind: 'accepting' }],
    [[0x17], { kind: 'stacking' }],
    [[0x18], { kind: 'returning' }],
    [[0x19], { kind: 'disabled' }],
    [[0x1a], { kind: 'holding' }],
    [[0x1b, 0x05], { kind: 'busy', code: 5 }],
    [[0x1c, 0x68], { kind: 'rejecting', code: 0x68, reason: 'inhibit' }],
    [[0x1c, 0x64], { kind: 'rejecting', code: 0x64, reason: 'conveying' }],
    [[0x41], { kind: 'cassette-full' }],
    [[0x42], { kind: 'cassette-out' }],
    [[0x43], { kind: 'jam', where: 'validator' }],
    [[0x44], { kind: 'jam', where: 'stacker' }],
    [[0x45], { kind: 'cheated' }],
    [[0x46], { kind: 'pause' }],
    [[0x47, 0x50], { kind: 'failure', code: 0x50, reason: 'stack motor' }],
    [[0x80, 0x03], { kind: 'escrow', billType: 3 }],
    [[0x81, 0x03], { kind: 'stacked', billType: 3 }],
    [[0x82, 0x02], { kind: 'returned', billType: 2 }],
  ];
  for (const [bytes, want] of cases) {
    t.same(decodePoll(Uint8Array.from(bytes)), want, bytes.map((b) => b.toString(16)).join(' '));
    t.same(encodePoll(want), bytes);
  }
});

t.test('unknown codes and reasons are reported, not thrown', async (t) => {
  t.same(decodePoll(Uint8Array.from([0x99])), { kind: 'unknown', code: 0x99 });
  t.same(decodePoll(Uint8Array.from([0x1c, 0x7e])), { kind: 'rejecting', code: 0x7e, reason: 'unknown 0x7e' });
  t.same(decodePoll(Uint8Array.from([0x47, 0x9b])), { kind: 'failure', code: 0x9b, reason: 'unknown 0x9b' });
  // A bill event without its bill type (or an impossible one) cannot be credited: unknown.
  t.same(decodePoll(Uint8Array.from([0x81])), { kind: 'unknown', code: 0x81, sub: undefined });
  t.equal(decodePoll(Uint8Array.from([0x81, 24])).kind, 'unknown');
});

t.test('a stacked-bill POLL answer off the wire, split in two reads', async (t) => {
  const wire = encodeFrame(3, [0x81, 0x02]);
  const got: CcnetFrame[] = [];
  const r = new FrameReader((f) => got.push(f));
  r.push(wire.subarray(0, 4));
  r.push(wire.subarray(4));
  t.same(decodePoll(got[0].data), { kind: 'stacked', billType: 2 });
});
