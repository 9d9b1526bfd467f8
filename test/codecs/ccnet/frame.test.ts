import t from 'tap';
import { encodeFrame, FrameReader, type CcnetFrame, type FrameError } from '../../../src/codecs/ccnet/frame.js';
import { Command, enableBillTypesRequest } from '../../../src/codecs/ccnet/commands.js';

const POLL = Buffer.from('02030633da81', 'hex');
const ACK = Buffer.from('02030600c282', 'hex');
const RESET = Buffer.from('02030630 41b3'.replace(' ', ''), 'hex');
// ENABLE BILL TYPES for types 2..6, escrow none: a frame captured from a CashCode example sketch.
const ENABLE = Buffer.from('02030c3400007c000000 66c1'.replace(' ', ''), 'hex');

function collect() {
  const frames: CcnetFrame[] = [];
  const errors: FrameError[] = [];
  const r = new FrameReader((f) => frames.push(f), (e) => errors.push(e));
  return { r, frames, errors };
}

t.test('encodes the captured POLL, ACK, RESET and ENABLE BILL TYPES frames byte for byte', async (t) => {
  t.same(encodeFrame(3, [Command.Poll]), POLL);
  t.same(encodeFrame(3, [0x00]), ACK);
  t.same(encodeFrame(3, [Command.Reset]), RESET);
  t.same(encodeFrame(3, enableBillTypesRequest(0x7c, 0)), ENABLE);
});

t.test('refuses empty and over-long data', async (t) => {
  t.throws(() => encodeFrame(3, []));
  t.throws(() => encodeFrame(3, new Uint8Array(246)));
  t.equal(encodeFrame(3, new Uint8Array(245)).length, 250);
});

t.test('decodes whole frames, several per chunk', async (t) => {
  const { r, frames, errors } = collect();
  r.push(Buffer.concat([POLL, ACK]));
  t.equal(frames.length, 2);
  t.same([...frames[0].data], [0x33]);
  t.equal(frames[0].address, 3);
  t.same([...frames[1].data], [0x00]);
  t.same(errors, []);
});

t.test('frames split across reads at every position, byte by byte too', async (t) => {
  const stream = Buffer.concat([ENABLE, POLL, encodeFrame(3, new Uint8Array(120).fill(7))]);
  for (let cut = 1; cut < stream.length; cut++) {
    const { r, frames, errors } = collect();
    r.push(stream.subarray(0, cut));
    r.push(stream.subarray(cut));
    t.equal(frames.length, 3, `cut at ${cut}`);
    t.same(errors, []);
  }
  const { r, frames } = collect();
  for (const b of stream) r.push(Buffer.from([b]));
  t.equal(frames.length, 3);
  t.equal(frames[2].data.length, 120);
  t.equal(r.pending(), 0);
});

t.test('garbage between frames is skipped and reported', async (t) => {
  const { r, frames, errors } = collect();
  r.push(Buffer.from([0xff, 0x00, 0x13]));
  r.push(POLL);
  r.push(Buffer.from([0xaa, 0x55]));
  r.push(ACK);
  t.equal(frames.length, 2);
  t.same(errors, [{ kind: 'garbage', bytes: 3 }, { kind: 'garbage', bytes: 2 }]);
});

t.test('a wrong CRC drops the frame; the next frame still decodes', async (t) => {
  const bad = Buffer.from(POLL);
  bad[5] ^= 0x01;
  const { r, frames, errors } = collect();
  r.push(Buffer.concat([bad, ACK]));
  t.equal(frames.length, 1);
  t.same([...frames[0].data], [0x00]);
  t.equal(errors[0].kind, 'crc');
  t.notOk(errors.some((e) => e.kind === 'crc' && e.frame.equals(ACK)));
});

t.test('a corrupted data byte (CRC of other bytes) is refused, never delivered', async (t) => {
  for (let i = 1; i < ENABLE.length; i++) {
    for (const flip of [0x01, 0x80]) {
      const bad = Buffer.from(ENABLE);
      bad[i] ^= flip;
      const { r, frames } = collect();
      r.push(bad);
      r.reset();
      t.equal(frames.length, 0, `byte ${i} flipped ${flip}`);
    }
  }
});

t.test('a false SYNC inside garbage does not hide the real frame behind it', async (t) => {
  // 02 00 .. : impossible length; 02 07 06 ... : plausible header with a wrong CRC.
  const { r, frames, errors } = collect();
  r.push(Buffer.from([0x02, 0x00, 0x02, 0x07, 0x06, 0x11, 0x22, 0x33]));
  r.push(POLL);
  t.equal(frames.length, 1);
  t.same([...frames[0].data], [0x33]);
  t.ok(errors.some((e) => e.kind === 'length'));
});

t.test('LNG 0 (extended length, unsupported) and LNG over 250 are length errors', async (t) => {
  const { r, frames, errors } = collect();
  r.push(Buffer.from([0x02, 0x03, 0x00]));
  r.push(Buffer.from([0x02, 0x03, 0xfb]));
  r.push(ACK);
  t.equal(frames.length, 1);
  t.same(errors.filter((e) => e.kind === 'length').map((e) => (e as { lng: number }).lng), [0, 0xfb]);
});

t.test('reset drops a partial frame so the next answer is read cleanly', async (t) => {
  const { r, frames } = collect();
  r.push(Buffer.from([0x02, 0x03, 0xf0, 0x01]));
  t.equal(r.pending(), 4);
  r.reset();
  r.push(ACK);
  t.equal(frames.length, 1);
});
