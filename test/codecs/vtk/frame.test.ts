/** VTK framing (VTK 1.12 section 2) and CRC (section 5), from the spec's own example frames. */
import t from 'tap';
import { crc16Vtk } from '../../../src/codecs/vtk/crc16.js';
import { encodeFrame, VtkDeframer, VtkDiscriminator, type DeframeEvent } from '../../../src/codecs/vtk/frame.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const frames = (evs: DeframeEvent[]) => evs.filter((e) => e.kind === 'frame');
const drops = (evs: DeframeEvent[]) => evs.filter((e) => e.kind === 'dropped').map((e) => (e.kind === 'dropped' ? e.reason : ''));

// Section 2 example (VRP from the VMC). Its CRC is right; its TLV has a typo (see message.test.ts).
const SPEC_VRP = hex('1F 000F 96FB 01 03 565250 03 01 35 04 39393030 F404');
// Flowchart, "Активация / Polling": IDL from the VMC with an event, serial and TCP forms.
const FLOW_IDL_SERIAL = hex('1f 0026 96FB 010349444C 080131 07054353415050 0903313233 0F08D09AD09ED0A4D095 040439303030 C1CB');
const FLOW_IDL_TCP = hex('0026 96FB 010349444C 080131 07054353415050 0903313233 0F08D09AD09ED0A4D095 040439303030');
// Section 2 example of an NFCReader frame (discriminator 0x96FC).
const SPEC_NFC = hex('1F 0014 96FC 01 0001 01 20 0004 00000001 11 0004 000000FF 72C9');

t.test('CRC16-CCITT (init FFFF) matches the spec examples, computed from 0x1F to the last message byte', async (t) => {
  t.equal(crc16Vtk(SPEC_VRP, 0, SPEC_VRP.length - 2), 0xf404);
  t.equal(crc16Vtk(FLOW_IDL_SERIAL, 0, FLOW_IDL_SERIAL.length - 2), 0xc1cb);
  t.equal(crc16Vtk(SPEC_NFC, 0, SPEC_NFC.length - 2), 0x72c9);
  t.equal(crc16Vtk(Buffer.from('123456789')), 0x29b1, 'the CRC-16/CCITT-FALSE check value');
});

t.test('encodeFrame rebuilds the spec frames byte for byte (serial and TCP)', async (t) => {
  t.same(encodeFrame('serial', VtkDiscriminator.FromVmc, SPEC_VRP.subarray(5, -2)), SPEC_VRP);
  t.same(encodeFrame('serial', VtkDiscriminator.FromVmc, FLOW_IDL_SERIAL.subarray(5, -2)), FLOW_IDL_SERIAL);
  t.same(encodeFrame('tcp', VtkDiscriminator.FromVmc, FLOW_IDL_TCP.subarray(4)), FLOW_IDL_TCP);
});

t.test('serial deframer: whole frame, byte-by-byte splits and leading garbage give the same frame', async (t) => {
  const whole = new VtkDeframer('serial').push(FLOW_IDL_SERIAL, 0);
  t.same(whole, [{ kind: 'frame', discriminator: 0x96fb, message: FLOW_IDL_SERIAL.subarray(5, -2) }]);

  const d = new VtkDeframer('serial');
  const got: DeframeEvent[] = [];
  for (const b of FLOW_IDL_SERIAL) got.push(...d.push(Buffer.from([b]), 0));
  t.same(frames(got), frames(whole), 'split into single bytes');
  t.equal(d.pending, 0);

  const g = new VtkDeframer('serial').push(Buffer.concat([hex('00 FF 13 37'), SPEC_NFC, FLOW_IDL_SERIAL]), 0);
  t.same(drops(g), ['garbage'], 'section 2: bytes before 0x1F are ignored');
  t.same(frames(g).map((f) => f.kind === 'frame' && f.discriminator), [0x96fc, 0x96fb], 'both frames after the garbage');
});

t.test('serial deframer is strict about CRC: a corrupted frame is dropped and the next one still read', async (t) => {
  const bad = Buffer.from(FLOW_IDL_SERIAL);
  bad[10] ^= 0x01;
  const evs = new VtkDeframer('serial').push(Buffer.concat([bad, SPEC_VRP]), 0);
  t.ok(drops(evs).includes('crc'));
  t.same(frames(evs).length, 1);
  t.same(frames(evs)[0], { kind: 'frame', discriminator: 0x96fb, message: SPEC_VRP.subarray(5, -2) });

  const badCrc = Buffer.from(SPEC_VRP);
  badCrc[badCrc.length - 1] ^= 0xff;
  t.same(frames(new VtkDeframer('serial').push(badCrc, 0)), [], 'only the CRC bytes wrong: still dropped');
});

t.test('regression: a stray 0x1F with a plausible length must not swallow the real frame behind it', async (t) => {
  // 1F 00 10 claims 16 bytes: the deframer reads into the next frame, the CRC fails, and it must resume
  // the hunt right after that stray 0x1F rather than after the 21 bytes the stray header claimed.
  const evs = new VtkDeframer('serial').push(Buffer.concat([hex('1F 00 10'), FLOW_IDL_SERIAL]), 0);
  t.same(frames(evs), [{ kind: 'frame', discriminator: 0x96fb, message: FLOW_IDL_SERIAL.subarray(5, -2) }]);
});

t.test('regression: a stray 0x1F claiming more bytes than follow must not hold a complete frame hostage', async (t) => {
  // 1F 00 40 claims 69 bytes; only the 43-byte IDL frame follows. Without the look-ahead the IDL would
  // wait for more traffic or for the 8 s timeout.
  const evs = new VtkDeframer('serial').push(Buffer.concat([hex('1F 00 40'), FLOW_IDL_SERIAL]), 0);
  t.same(frames(evs), [{ kind: 'frame', discriminator: 0x96fb, message: FLOW_IDL_SERIAL.subarray(5, -2) }]);
  t.same(drops(evs), ['garbage']);
  const partial = new VtkDeframer('serial');
  t.same(partial.push(Buffer.concat([FLOW_IDL_SERIAL.subarray(0, 20)]), 0), [], 'a genuine partial frame still waits');
  t.same(frames(partial.push(FLOW_IDL_SERIAL.subarray(20), 1)).length, 1);
});

t.test('serial deframer is strict about lengths', async (t) => {
  t.same(drops(new VtkDeframer('serial').push(hex('1F 0001 96'), 0)), ['length', 'garbage'], 'length below 2 (no room for the discriminator)');
  const big = new VtkDeframer('serial', { maxLength: 64 });
  t.same(drops(big.push(hex('1F 0100'), 0)), ['length', 'garbage'], 'length above the configured maximum');
  const d = new VtkDeframer('serial');
  t.same(d.push(SPEC_VRP.subarray(0, 8), 0), [], 'partial: waits');
  t.equal(d.pending, 8);
});

t.test('serial deframer: a frame not completed within 8 s of its start byte is dropped (section 1)', async (t) => {
  const d = new VtkDeframer('serial');
  d.push(SPEC_VRP.subarray(0, 6), 1000);
  const evs = d.push(SPEC_VRP.subarray(6), 1000 + 8001);
  t.same(drops(evs)[0], 'timeout');
  t.same(frames(evs), [], 'the late rest is not glued to the stale start');
  t.same(frames(d.push(SPEC_VRP, 1000 + 8002)).length, 1, 'the next whole frame is read');
  const ok = new VtkDeframer('serial');
  ok.push(SPEC_VRP.subarray(0, 6), 1000);
  t.same(frames(ok.push(SPEC_VRP.subarray(6), 8999)).length, 1, 'within 8 s: completed');
});

t.test('an unknown protocol discriminator is ignored (section 2), known NFCReader frames pass', async (t) => {
  const odd = encodeFrame('serial', 0x1234, hex('010349444C'));
  const evs = new VtkDeframer('serial').push(Buffer.concat([odd, SPEC_NFC]), 0);
  t.same(drops(evs), ['discriminator']);
  t.equal(frames(evs).length, 1);
  const tcpOdd = encodeFrame('tcp', 0x1234, hex('010349444C'));
  const tevs = new VtkDeframer('tcp').push(Buffer.concat([tcpOdd, FLOW_IDL_TCP]), 0);
  t.same(drops(tevs), ['discriminator']);
  t.equal(frames(tevs).length, 1, 'TCP stays in step: the length field was sound');
});

t.test('TCP deframer: no start byte, no CRC; splits tolerated; an impossible length is fatal', async (t) => {
  const d = new VtkDeframer('tcp');
  const got: DeframeEvent[] = [];
  for (let i = 0; i < FLOW_IDL_TCP.length; i += 5) got.push(...d.push(FLOW_IDL_TCP.subarray(i, i + 5), 0));
  t.same(got, [{ kind: 'frame', discriminator: 0x96fb, message: FLOW_IDL_TCP.subarray(4) }]);
  const two = new VtkDeframer('tcp').push(Buffer.concat([FLOW_IDL_TCP, FLOW_IDL_TCP]), 0);
  t.equal(frames(two).length, 2);
  const bad = new VtkDeframer('tcp').push(hex('0001 96'), 0);
  t.same(bad, [{ kind: 'dropped', reason: 'length', bytes: 3, fatal: true }]);
});
