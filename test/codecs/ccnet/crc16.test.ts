import t from 'tap';
import { crc16Kermit } from '../../../src/codecs/ccnet/crc16.js';

t.test('CRC-16/KERMIT catalogue check value', async (t) => {
  t.equal(crc16Kermit(Buffer.from('123456789', 'ascii')), 0x2189);
  t.equal(crc16Kermit(Buffer.alloc(0)), 0);
});

t.test('captured CCNET frames carry the CRC low byte first (docs/design.md, "Protocols")', async (t) => {
  // POLL 02 03 06 33 | DA 81 and ACK 02 03 06 00 | C2 82, RESET 02 03 06 30 | 41 B3.
  t.equal(crc16Kermit(Buffer.from([0x02, 0x03, 0x06, 0x33])), 0x81da);
  t.equal(crc16Kermit(Buffer.from([0x02, 0x03, 0x06, 0x00])), 0x82c2);
  t.equal(crc16Kermit(Buffer.from([0x02, 0x03, 0x06, 0x30])), 0xb341);
});

t.test('a range inside a buffer', async (t) => {
  const b = Buffer.from([0xff, 0x02, 0x03, 0x06, 0x33, 0xee]);
  t.equal(crc16Kermit(b, 1, 5), 0x81da);
});
