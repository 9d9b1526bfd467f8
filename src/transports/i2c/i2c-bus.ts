/**
 * The I2C operations device drivers use (SMBus byte read/write), as an interface over `i2c-bus` 5's
 * promisified bus, so register-level simulators can stand in for it in tests (docs/design.md, "Hardware without hardware": this machine
 * has no /dev/i2c-*).
 */
import { ErrorCode, PayPointError } from '../../errors.js';

export interface I2cBus {
  readByte(address: number, register: number): Promise<number>;
  writeByte(address: number, register: number, byte: number): Promise<void>;
  close(): Promise<void>;
}

interface PromisifiedBusModule {
  openPromisified(busNumber: number): Promise<I2cBus>;
}

/** Opens /dev/i2c-N through i2c-bus (loaded lazily: hosts without it still run the simulators). */
export async function openI2cBus(busNumber: number): Promise<I2cBus> {
  try {
    // i2c-bus ships no type declarations; the shape used is declared above.
    const mod = (await import('i2c-bus' as string)) as { default?: PromisifiedBusModule } & PromisifiedBusModule;
    const lib = mod.default ?? mod;
    const bus = await lib.openPromisified(busNumber);
    return {
      readByte: (a, r) => bus.readByte(a, r),
      writeByte: (a, r, b) => bus.writeByte(a, r, b),
      close: () => bus.close(),
    };
  } catch (e) {
    throw new PayPointError(ErrorCode.DeviceNotReady, `cannot open I2C bus ${busNumber}: ${(e as Error).message}`, { bus: busNumber }, { cause: e });
  }
}
