/**
 * A register-level MCP23017 (IOCON.BANK = 0) behind the I2cBus interface, for tests and the simulated
 * board. Its 16 pins are wires of a SimLines set, so device simulators (hopper, pulse acceptor) can be
 * wired to expander pins exactly as to GPIO pins; its INT output is another wire (active low,
 * open-drain: idles high).
 *
 * Modelled (DS20001952): IODIR, IPOL, GPPU (an input nobody drives reads its pull-up), GPIO/OLAT
 * (writing GPIO writes OLAT), GPINTEN with INTCON/DEFVAL, INTF, INTCAP (captured at the first
 * interrupt, held until read), clearing by a read of INTCAP or GPIO, IOCON.MIRROR. Not modelled:
 * BANK = 1, SEQOP address auto-increment, INTPOL (active-high INT).
 */
import type { I2cBus } from '../../transports/i2c/i2c-bus.js';
import type { SimLines, SimWire } from '../../transports/gpio/sim-lines.js';
import type { Level } from '../../transports/gpio/line.js';
import { Iocon, Reg } from './registers.js';

export class Mcp23017Sim implements I2cBus {
  /** 22 registers, BANK 0 addresses. */
  readonly regs = new Uint8Array(0x16);
  private readonly wires: SimWire[] = [];
  /** Pins some device drives (else an input reads its pull-up, or 0). */
  private readonly driven = new Set<number>();
  readonly intWire: SimWire;
  /** Transactions, for tests that check the driver's register traffic. */
  readonly log: Array<{ op: 'r' | 'w'; reg: number; value: number }> = [];
  private lastPins = 0;
  private closed = false;

  /**
   * @param pinWires the expander's own 16 pins, as wires 0-15 of a SimLines set
   * @param intWire the INT output (usually a wire of the simulated Pi's lines); a private wire if omitted
   */
  constructor(pinWires: SimLines, readonly address = 0x20, intWire: SimWire | null = null) {
    this.regs[Reg.IODIRA] = 0xff;
    this.regs[Reg.IODIRA + 1] = 0xff;
    for (let p = 0; p < 16; p++) {
      const w = pinWires.wire(p);
      this.wires.push(w);
      w.watch(() => {
        if (!this.isOutput(p)) {
          this.driven.add(p);
          this.inputsChanged();
        }
      });
    }
    this.intWire = intWire ?? pinWires.wire(16, 1);
    this.intWire.set(1);
    this.lastPins = this.pins();
  }

  /** The wire of expander pin 0-15 (device simulators drive inputs and watch outputs on it). */
  wire(pin: number): SimWire {
    return this.wires[pin];
  }

  async readByte(address: number, register: number): Promise<number> {
    this.check(address, register);
    let value: number;
    const port = register & 1;
    switch (register & ~1) {
      case Reg.GPIOA:
        value = this.portOf(this.pins(), port);
        this.clearInterrupt(port);
        break;
      case Reg.INTCAPA:
        value = this.regs[register];
        this.clearInterrupt(port);
        break;
      case Reg.OLATA:
        value = this.regs[register];
        break;
      default:
        value = this.regs[register];
    }
    this.log.push({ op: 'r', reg: register, value });
    return value;
  }

  async writeByte(address: number, register: number, byte: number): Promise<void> {
    this.check(address, register);
    this.log.push({ op: 'w', reg: register, value: byte });
    switch (register & ~1) {
      case Reg.INTFA:
      case Reg.INTCAPA:
        return; // read-only
      case Reg.GPIOA:
        this.regs[Reg.OLATA + (register & 1)] = byte;
        break;
      case Reg.IOCON:
        // IOCON is one register at two addresses.
        this.regs[Reg.IOCON] = this.regs[Reg.IOCON + 1] = byte & ~Iocon.BANK;
        return;
      default:
        this.regs[register] = byte;
    }
    this.driveOutputs();
    this.inputsChanged();
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private check(address: number, register: number): void {
    // i2c-bus reports a missing device as a remote I/O error (ENXIO/EREMOTEIO).
    if (this.closed) throw Object.assign(new Error('bus closed'), { code: 'EBADF' });
    if (address !== this.address) throw Object.assign(new Error('Remote I/O error'), { code: 'EREMOTEIO' });
    if (register < 0 || register >= 0x16) throw Object.assign(new Error('Invalid argument'), { code: 'EINVAL' });
  }

  private isOutput(pin: number): boolean {
    return !((this.word(Reg.IODIRA) >> pin) & 1);
  }

  private word(regA: number): number {
    return this.regs[regA] | (this.regs[regA + 1] << 8);
  }

  private portOf(word: number, port: number): number {
    return (word >> (port * 8)) & 0xff;
  }

  /** Pin levels as GPIO reads them: outputs from OLAT, inputs from the wire (or pull-up), IPOL applied to inputs. */
  private pins(): number {
    const iodir = this.word(Reg.IODIRA);
    const olat = this.word(Reg.OLATA);
    const gppu = this.word(Reg.GPPUA);
    const ipol = this.word(Reg.IPOLA);
    let v = 0;
    for (let p = 0; p < 16; p++) {
      let bit: number;
      if (!((iodir >> p) & 1)) bit = (olat >> p) & 1;
      else {
        bit = this.driven.has(p) ? this.wires[p].get() : (gppu >> p) & 1;
        bit ^= (ipol >> p) & 1;
      }
      v |= bit << p;
    }
    return v;
  }

  private driveOutputs(): void {
    const olat = this.word(Reg.OLATA);
    for (let p = 0; p < 16; p++) {
      if (this.isOutput(p)) this.wires[p].set((((olat >> p) & 1) as Level));
    }
  }

  private inputsChanged(): void {
    const now = this.pins();
    const gpinten = this.word(Reg.GPINTENA);
    const intcon = this.word(Reg.INTCONA);
    const defval = this.word(Reg.DEFVALA);
    const iodir = this.word(Reg.IODIRA);
    for (let p = 0; p < 16; p++) {
      if (!((iodir >> p) & 1) || !((gpinten >> p) & 1)) continue;
      const bit = (now >> p) & 1;
      const fires = (intcon >> p) & 1 ? bit !== ((defval >> p) & 1) : bit !== ((this.lastPins >> p) & 1);
      if (!fires) continue;
      const port = p >> 3;
      const intfReg = Reg.INTFA + port;
      if (this.regs[intfReg] === 0) {
        // INTCAP holds the port at the first interrupt until it is cleared.
        this.regs[Reg.INTCAPA + port] = this.portOf(now, port);
      }
      this.regs[intfReg] |= 1 << (p & 7);
    }
    this.lastPins = now;
    this.updateInt();
  }

  private clearInterrupt(port: number): void {
    this.regs[Reg.INTFA + port] = 0;
    this.updateInt();
  }

  private updateInt(): void {
    const pending = this.regs[Reg.INTFA] !== 0 || this.regs[Reg.INTFA + 1] !== 0;
    // Active low. With MIRROR the one wire stands for both ports; without it this wire is INTA only.
    const mirror = this.regs[Reg.IOCON] & Iocon.MIRROR;
    const active = mirror ? pending : this.regs[Reg.INTFA] !== 0;
    this.intWire.set(active ? 0 : 1);
  }
}
