/**
 * CRC16-CCITT as the VTK protocol uses it (VTK 1.12 section 2 and the C example in section 5):
 * polynomial 0x1021, initial value 0xFFFF, no reflection, no final XOR, sent big-endian. It covers the
 * serial frame from the starting byte 0x1F to the last byte of the application message.
 */
export function crc16Vtk(data: Uint8Array, start = 0, end = data.length): number {
  let crc = 0xffff;
  for (let i = start; i < end; i++) {
    crc ^= data[i]! << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}
