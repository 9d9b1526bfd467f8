/**
 * MCP23017 16-bit I/O expander on I2C (README.md, "Cash hardware"), offering its pins through the same
 * LineProvider interface as the Pi's GPIO, so an inhibit relay, a hopper motor or a sensor can be wired
 * to either.
 *
 * Set-up (IOCON.BANK = 0): MIRROR (INTA and INTB are one signal, so one Pi input serves both ports),
 * ODR (open-drain INT, active low, pulled up on the Pi side). All pins start as inputs without pull-ups.
 * Outputs are claimed by writing OLAT before clearing the IODIR bit, so they never glitch.
 *
 * Edges: with the INT line wired, an INT edge (timestamped on the Pi's GPIO, the earliest point) makes
 * the driver read INTF and INTCAP (the port as it was at the interrupt, which also clears it) and then
 * GPIO (changes since). Without it, GPIO is polled every `pollIntervalMs`; edges then carry the time of
 * the read.
 */
import { ErrorCode, PayPointError } from '../../errors.js';
import { now, type Edge, type InputLine, type InputOptions, type Level, type LineProvider, type OutputLine, type OutputOptions } from '../../transports/gpio/line.js';
import type { I2cBus } from '../../transports/i2c/i2c-bus.js';
import { Iocon, Reg, regFor } from './registers.js';

export interface Mcp23017Options {
  name?: string;
  bus: I2cBus;
  /** 0x20-0x27 (A2..A0 strapping). */
  address?: number;
  /** The chip's INT output on a Pi input, as a logical line (claim it activeLow: INT is active low). */
  interrupt?: InputLine | null;
  /** Poll period without an interrupt line, ms. */
  pollIntervalMs?: number;
}

interface PinState {
  mode: 'in' | 'out';
  inv: 0 | 1;
  handlers: Set<(e: Edge) => void>;
}

export class Mcp23017 implements LineProvider {
  readonly name: string;
  private readonly bus: I2cBus;
  private readonly address: number;
  private readonly pins = new Map<number, PinState>();
  private iodir = 0xffff;
  private gppu = 0;
  private gpinten = 0;
  private olat = 0;
  /** Last electrical levels seen on the port (16 bits). */
  private last = 0;
  private initialised: Promise<void> | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private unsubInt: (() => void) | null = null;
  private reading: Promise<void> = Promise.resolve();

  constructor(private readonly options: Mcp23017Options) {
    this.name = options.name ?? `mcp23017@0x${(options.address ?? 0x20).toString(16)}`;
    this.bus = options.bus;
    this.address = options.address ?? 0x20;
  }

  /** Configures the chip; called by the first input()/output(). */
  init(): Promise<void> {
    this.initialised ??= (async () => {
      await this.write(Reg.IOCON, Iocon.MIRROR | Iocon.ODR);
      for (const port of [0, 1]) {
        await this.write(Reg.OLATA + port, 0);
        await this.write(Reg.IODIRA + port, 0xff);
        await this.write(Reg.IPOLA + port, 0);
        await this.write(Reg.GPPUA + port, 0);
        await this.write(Reg.GPINTENA + port, 0);
        await this.write(Reg.INTCONA + port, 0);
      }
      // Check we are talking to an MCP23017: IOCON reads back (BANK=0 keeps it at 0x0A).
      const iocon = await this.read(Reg.IOCON);
      if (iocon !== (Iocon.MIRROR | Iocon.ODR)) {
        throw new PayPointError(ErrorCode.DeviceFault, `${this.name}: IOCON reads 0x${iocon.toString(16)}, not an MCP23017 in BANK 0 mode`, { address: this.address });
      }
      this.last = await this.readPort(Reg.GPIOA);
      if (this.options.interrupt) {
        this.unsubInt = this.options.interrupt.onEdge((e) => {
          if (e.level === 1) this.serialise(() => this.onInterrupt(e.at));
        });
      } else {
        const tick = () => {
          this.pollTimer = setTimeout(() => {
            this.serialise(() => this.scan(now())).finally(() => {
              if (this.pollTimer) tick();
            });
          }, this.options.pollIntervalMs ?? 5);
        };
        tick();
      }
    })();
    return this.initialised;
  }

  async input(pin: number, options: InputOptions = {}): Promise<InputLine> {
    this.claim(pin, 'in', options.activeLow ? 1 : 0);
    await this.init();
    const mask16 = 1 << pin;
    this.iodir |= mask16;
    this.gppu = options.pull === 'up' ? this.gppu | mask16 : this.gppu & ~mask16;
    if (this.options.interrupt) this.gpinten |= mask16;
    await this.writePortBit(Reg.GPPUA, pin, this.gppu);
    await this.writePortBit(Reg.IODIRA, pin, this.iodir);
    await this.writePortBit(Reg.GPINTENA, pin, this.gpinten);
    const state = this.pins.get(pin)!;
    this.last = (this.last & ~mask16) | ((await this.readPort(Reg.GPIOA)) & mask16);
    return {
      name: `${this.name}:${pin}`,
      read: async () => ((((await this.readPort(Reg.GPIOA)) >> pin) & 1) ^ state.inv) as Level,
      onEdge: (h) => {
        state.handlers.add(h);
        return () => state.handlers.delete(h);
      },
      // The poll (or the INT line's handler) calls the handlers as it reads the port: nothing is queued.
      sync: async () => now(),
      close: async () => this.release(pin),
    };
  }

  async output(pin: number, options: OutputOptions): Promise<OutputLine> {
    const inv = options.activeLow ? 1 : 0;
    this.claim(pin, 'out', inv);
    await this.init();
    const mask16 = 1 << pin;
    const set = async (level: Level) => {
      const electrical = level ^ inv;
      this.olat = electrical ? this.olat | mask16 : this.olat & ~mask16;
      await this.writePortBit(Reg.OLATA, pin, this.olat);
    };
    // Latch first, direction second: the pin comes up at its initial level.
    await set(options.initial);
    this.iodir &= ~mask16;
    this.gpinten &= ~mask16;
    await this.writePortBit(Reg.GPINTENA, pin, this.gpinten);
    await this.writePortBit(Reg.IODIRA, pin, this.iodir);
    let last = options.initial;
    return {
      name: `${this.name}:${pin}`,
      write: async (level) => {
        await set(level);
        last = level;
      },
      read: async () => last,
      close: async () => this.release(pin),
    };
  }

  async close(): Promise<void> {
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = null;
    this.unsubInt?.();
    this.unsubInt = null;
    await this.reading;
    this.pins.clear();
  }

  private claim(pin: number, mode: 'in' | 'out', inv: 0 | 1): void {
    if (!Number.isInteger(pin) || pin < 0 || pin > 15) throw new PayPointError(ErrorCode.DeviceUnsupported, `${this.name} has no pin ${pin} (0-15: GPA0-7, GPB0-7)`, { pin });
    if (this.pins.has(pin)) throw new PayPointError(ErrorCode.DeviceNotReady, `${this.name} pin ${pin} is already in use`, { pin });
    this.pins.set(pin, { mode, inv, handlers: new Set() });
  }

  private async release(pin: number): Promise<void> {
    const s = this.pins.get(pin);
    if (!s) return;
    this.pins.delete(pin);
    // Back to a harmless input.
    const mask16 = 1 << pin;
    this.iodir |= mask16;
    this.gpinten &= ~mask16;
    await this.writePortBit(Reg.GPINTENA, pin, this.gpinten);
    await this.writePortBit(Reg.IODIRA, pin, this.iodir);
  }

  private serialise(job: () => Promise<void>): Promise<void> {
    const run = this.reading.then(job).catch(() => {
      // A failed read is retried by the next interrupt or poll; health belongs to the devices on the pins.
    });
    this.reading = run;
    return run;
  }

  private async onInterrupt(at: bigint): Promise<void> {
    const intf = await this.readPort(Reg.INTFA);
    if (intf !== 0) {
      const cap = await this.readPort(Reg.INTCAPA);
      this.emit((this.last & ~intf) | (cap & intf), at);
    }
    await this.scan(now());
  }

  private async scan(at: bigint): Promise<void> {
    this.emit(await this.readPort(Reg.GPIOA), at);
  }

  /** Emits an edge for every claimed input pin whose level differs from the last seen. */
  private emit(port: number, at: bigint): void {
    const changed = (port ^ this.last) & this.iodir;
    this.last = (this.last & ~this.iodir) | (port & this.iodir);
    if (changed === 0) return;
    for (const [pin, s] of this.pins) {
      if (s.mode !== 'in' || !((changed >> pin) & 1)) continue;
      const level = (((port >> pin) & 1) ^ s.inv) as Level;
      for (const h of s.handlers) h({ level, at });
    }
  }

  private async read(reg: number): Promise<number> {
    try {
      return await this.bus.readByte(this.address, reg);
    } catch (e) {
      throw new PayPointError(ErrorCode.DeviceFault, `${this.name}: I2C read of 0x${reg.toString(16)} failed: ${(e as Error).message}`, { address: this.address, reg }, { cause: e });
    }
  }

  private async write(reg: number, value: number): Promise<void> {
    try {
      await this.bus.writeByte(this.address, reg, value & 0xff);
    } catch (e) {
      throw new PayPointError(ErrorCode.DeviceFault, `${this.name}: I2C write of 0x${reg.toString(16)} failed: ${(e as Error).message}`, { address: this.address, reg }, { cause: e });
    }
  }

  /** Reads an A/B register pair as 16 bits (A low). */
  private async readPort(regA: number): Promise<number> {
    return (await this.read(regA)) | ((await this.read(regA + 1)) << 8);
  }

  /** Writes the byte of `value16` that holds `pin`, to the A or B register. */
  private async writePortBit(regA: number, pin: number, value16: number): Promise<void> {
    const { reg } = regFor(regA, pin);
    await this.write(reg, pin >= 8 ? value16 >> 8 : value16);
  }
}
