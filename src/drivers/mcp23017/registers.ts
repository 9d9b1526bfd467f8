/**
 * MCP23017 register map with IOCON.BANK = 0 (Microchip DS20001952, table 3-5): A and B registers
 * interleaved, B = A + 1. Pins 0-7 are GPA0-7, 8-15 GPB0-7.
 */
export const Reg = {
  IODIRA: 0x00,
  IPOLA: 0x02,
  GPINTENA: 0x04,
  DEFVALA: 0x06,
  INTCONA: 0x08,
  IOCON: 0x0a,
  GPPUA: 0x0c,
  INTFA: 0x0e,
  INTCAPA: 0x10,
  GPIOA: 0x12,
  OLATA: 0x14,
} as const;

/** IOCON bits (DS20001952, register 3-6). */
export const Iocon = {
  BANK: 0x80,
  MIRROR: 0x40,
  SEQOP: 0x20,
  DISSLW: 0x10,
  HAEN: 0x08,
  ODR: 0x04,
  INTPOL: 0x02,
} as const;

/** The A-port register for pins 0-7, the B-port one for 8-15, and the bit within it. */
export function regFor(regA: number, pin: number): { reg: number; bit: number } {
  return { reg: regA + (pin >= 8 ? 1 : 0), bit: 1 << (pin & 7) };
}
