/** VTK messages and BER-TLV (VTK 1.12 sections 2, 3.1-3.20), from the spec's and flowchart's examples. */
import t from 'tap';
import { ErrorCode } from '../../../src/errors.js';
import { decodeMessage, encodeMessage, VtkTag } from '../../../src/codecs/vtk/message.js';
import { decodeTlvs, encodeLength, encodeTlvs } from '../../../src/codecs/vtk/tlv.js';
import { encodeFrame, VtkDeframer } from '../../../src/codecs/vtk/frame.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
/** tap matches a thrown error against an object pattern: the code, never the text. */
const isProtocolError = { code: ErrorCode.DeviceProtocol };

t.test('flowchart IDL from the VMC decodes to typed fields (UTF-8 product name included)', async (t) => {
  const m = decodeMessage(hex('010349444C 080131 07054353415050 0903313233 0F08D09AD09ED0A4D095 040439303030'));
  t.same(m, { name: 'IDL', eventNumber: 1, eventName: 'CSAPP', productId: 123, productName: 'КОФЕ', amount: 9000, others: [] });
});

t.test('flowchart IDL answer from the POS: operation number, operation timeout, event number', async (t) => {
  const m = decodeMessage(hex('010349444C 030131 0603313230 080131'));
  t.same(m, { name: 'IDL', opNumber: 1, opTimeoutS: 120, eventNumber: 1, others: [] });
  // The flowchart prints CRC 159E for this frame; CRC16-CCITT of its bytes is 9CC4 (a slip in the
  // document, like the TLV typo below). A frame carrying 159E is rightly dropped.
  const printed = hex('1f 0012 97FB 010349444C 030131 0603313230 080131 159e');
  t.same(new VtkDeframer('serial').push(printed, 0).filter((e) => e.kind === 'frame'), []);
  t.same(encodeFrame('serial', 0x97fb, printed.subarray(5, -2)).subarray(-2), hex('9CC4'));
});

t.test('the section 2 example frame has a TLV typo: the codec refuses it rather than guessing', async (t) => {
  // `04 39393030`: tag 04 lacks its length byte, so 0x39 (57) is read as the length and runs past the
  // end. The CRC F404 was computed over these very bytes, so framing accepts it; the message does not.
  const [ev] = new VtkDeframer('serial').push(hex('1F 000F 96FB 01 03 565250 03 01 35 04 39393030 F404'), 0);
  t.equal(ev?.kind, 'frame');
  t.throws(() => decodeMessage(ev!.kind === 'frame' ? ev!.message : Buffer.alloc(0)), isProtocolError);
  // What it evidently means: VRP, operation 5, 99.00.
  const fixed = hex('01 03 565250 03 01 35 04 04 39393030');
  t.same(decodeMessage(fixed), { name: 'VRP', opNumber: 5, amount: 9900, others: [] });
  t.same(encodeMessage({ name: 'VRP', opNumber: 5, amount: 9900 }), fixed);
});

t.test('encode/decode round trip of every field the kiosk uses', async (t) => {
  const msgs = [
    { name: 'IDL' },
    { name: 'VRP', opNumber: 99999999, amount: 123456789012, productName: 'Оплата заказа' },
    { name: 'FIN', opNumber: 7, amount: 0 },
    { name: 'ABR' },
    { name: 'VRP', opNumber: 7, amount: 1500, receipt: 'RESULT:APPROVED\nRRN:028810000045' },
    { name: 'IDL', opNumber: 3, keepaliveS: 10, opTimeoutS: 120, eventNumber: 0 },
    { name: 'CON', tcpDestination: hex('00 0A000001 1F90 00') },
  ];
  for (const m of msgs) t.same(decodeMessage(encodeMessage(m)), { ...m, others: [] }, m.name);
});

t.test('decoding is strict where the kiosk relies on it', async (t) => {
  t.throws(() => decodeMessage(hex('030131')), isProtocolError, 'no message name');
  t.throws(() => decodeMessage(hex('0103696469')), isProtocolError, 'name not 3 capital letters');
  t.throws(() => decodeMessage(hex('010356525004023130 04023230')), isProtocolError, 'amount given twice');
  t.throws(() => decodeMessage(hex('0103565250 0403312E35')), isProtocolError, 'amount "1.5" is not digits');
  t.throws(() => decodeMessage(hex('0103565250 0400')), isProtocolError, 'empty amount');
  t.throws(() => decodeMessage(hex('0103565250 0309313233343536373839')), isProtocolError, 'op number over 8 digits');
  t.throws(() => encodeMessage({ name: 'VRP', amount: -1 }), isProtocolError);
  t.throws(() => encodeMessage({ name: 'VRP', opNumber: 123456789 }), isProtocolError);
});

t.test('unknown tags are ignored and kept aside (section 2)', async (t) => {
  const m = decodeMessage(hex('0103564650 1E0100 9F2A0131 040135'));
  t.equal(m.name, 'VFP');
  t.equal(m.amount, 5);
  t.same(m.others?.map((o) => o.tag), [0x1e, 0x9f2a], 'a one-byte tag 1E and a two-byte tag 9F2A (ISO 8825-1 continuation)');
});

t.test('BER-TLV lengths: short, 0x81 and 0x82 forms; malformed forms refused', async (t) => {
  t.same(encodeLength(5), hex('05'));
  t.same(encodeLength(200), hex('81C8'));
  t.same(encodeLength(300), hex('82012C'));
  const receipt = 'x'.repeat(300);
  const enc = encodeTlvs([{ tag: VtkTag.Receipt, value: Buffer.from(receipt) }]);
  t.same(enc.subarray(0, 4), hex('13 82 012C'));
  t.equal(decodeTlvs(enc)[0]!.value.toString(), receipt);
  t.throws(() => decodeTlvs(hex('13 80 00')), isProtocolError, 'indefinite length');
  t.throws(() => decodeTlvs(hex('13 83 000001 41')), isProtocolError, '4-byte length field');
  t.throws(() => decodeTlvs(hex('13 81')), isProtocolError, 'length runs past the end');
  t.throws(() => decodeTlvs(hex('13')), isProtocolError, 'no length');
  t.throws(() => decodeTlvs(hex('1F')), isProtocolError, 'multi-byte tag cut short');
  t.throws(() => decodeTlvs(hex('1F8181 01 00')), isProtocolError, 'tag over 3 bytes');
  t.same(decodeTlvs(hex('')), []);
});
