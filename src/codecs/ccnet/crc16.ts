/**
 * CCNET checksum (CashCode CCNET, "Data transmission": CRC16 over SYNC..DATA): CRC-16/KERMIT,
 * polynomial 0x1021 reflected (0x8408), initial value 0, no final XOR, sent low byte first.
 * Check value of "123456789" is 0x2189 (CRC catalogue, CRC-16/KERMIT).
 */
export function crc16Kermit(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0;
  for (let i = start; i < end; i++) {
    crc ^= bytes[i];
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x8408 : crc >>> 1;
  }
  return crc;
}
