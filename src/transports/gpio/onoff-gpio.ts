/**
 * The Raspberry Pi's own GPIO through `onoff` (sysfs). Pin numbers in configuration are BCM numbers;
 * sysfs numbers them from the chip's base, which kernels 6.6+ moved (512 on Pi 4, 571 on Pi 5;
 * github.com/fivdi/onoff issues 199, 200, 204), so the base is read from the gpiochip whose `label`
 * matches, never assumed.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, PayPointError } from '../../errors.js';
import { now, type Edge, type InputLine, type InputOptions, type Level, type LineProvider, type OutputLine, type OutputOptions } from './line.js';

/** Labels of the SoC GPIO controller: Pi 5 (RP1), Pi 4, Pi 0-3. Not the firmware expander (raspberrypi-exp-gpio). */
export const PI_GPIO_LABELS = ['pinctrl-rp1', 'pinctrl-bcm2711', 'pinctrl-bcm2835'];

export interface GpioChip {
  label: string;
  base: number;
  ngpio: number;
}

/** Lists /sys/class/gpio/gpiochip*: label, base and line count of each chip. */
export async function listGpioChips(sysfsRoot = '/sys/class/gpio'): Promise<GpioChip[]> {
  let names: string[];
  try {
    names = (await readdir(sysfsRoot)).filter((n) => /^gpiochip\d+$/.test(n));
  } catch (e) {
    throw new PayPointError(ErrorCode.DeviceUnsupported, `no GPIO sysfs at ${sysfsRoot}`, { sysfsRoot }, { cause: e });
  }
  const chips: GpioChip[] = [];
  for (const n of names) {
    const read = async (f: string) => (await readFile(join(sysfsRoot, n, f), 'utf8')).trim();
    try {
      chips.push({ label: await read('label'), base: Number(await read('base')), ngpio: Number(await read('ngpio')) });
    } catch {
      // A chip directory without the usual files is not ours to use.
    }
  }
  return chips;
}

/** The chip whose label is `label` (or the first known Pi SoC label when null). */
export async function findGpioChip(sysfsRoot = '/sys/class/gpio', label: string | null = null): Promise<GpioChip> {
  const chips = await listGpioChips(sysfsRoot);
  const wanted = label ? [label] : PI_GPIO_LABELS;
  for (const l of wanted) {
    const chip = chips.find((c) => c.label === l);
    if (chip) return chip;
  }
  throw new PayPointError(ErrorCode.DeviceUnsupported, `no gpiochip labelled ${wanted.join(' or ')} under ${sysfsRoot}`, {
    sysfsRoot,
    found: chips.map((c) => c.label),
  });
}

/** The subset of onoff's Gpio used here (onoff.d.ts). */
export interface OnoffGpioLike {
  readSync(): 0 | 1;
  writeSync(value: 0 | 1): void;
  watch(cb: (err: Error | null | undefined, value: 0 | 1) => void): void;
  unwatchAll(): void;
  unexport(): void;
}
export type OnoffFactory = (sysfsNumber: number, direction: 'in' | 'out' | 'high' | 'low', edge: 'none' | 'both', options: { activeLow: boolean }) => OnoffGpioLike;

export interface OnoffGpioOptions {
  name?: string;
  /** /sys/class/gpio; a fake directory in tests. */
  sysfsRoot?: string;
  /** gpiochip label; null: the Pi's SoC controller, whichever model. */
  chipLabel?: string | null;
  /** Creates onoff Gpio objects; default the real onoff (loaded lazily, so hosts without it still run). */
  factory?: OnoffFactory;
}

export class OnoffGpio implements LineProvider {
  readonly name: string;
  private chip: GpioChip | null = null;
  private readonly open = new Set<OnoffGpioLike>();

  constructor(private readonly options: OnoffGpioOptions = {}) {
    this.name = options.name ?? 'gpio';
  }

  /** sysfs number of a BCM pin: chip base + pin. */
  async sysfsNumber(pin: number): Promise<number> {
    this.chip ??= await findGpioChip(this.options.sysfsRoot, this.options.chipLabel ?? null);
    if (!Number.isInteger(pin) || pin < 0 || pin >= this.chip.ngpio) {
      throw new PayPointError(ErrorCode.DeviceUnsupported, `${this.chip.label} has no line ${pin}`, { pin, ngpio: this.chip.ngpio });
    }
    return this.chip.base + pin;
  }

  async input(pin: number, options: InputOptions = {}): Promise<InputLine> {
    const gpio = await this.make(pin, 'in', 'both', options.activeLow ?? false);
    const handlers = new Set<(e: Edge) => void>();
    // onoff calls back once per sysfs wake-up with the value read then, and edge=both wakes it on every
    // change: so each call is at least one edge. A value equal to the last one means two (or an even
    // number of) edges fell before the read: the edge is passed on marked `missed` instead of dropped as
    // a repeat (a late event loop would otherwise lose a whole pulse).
    let last = gpio.readSync();
    // The timestamp is the first thing taken in onoff's epoll callback: the earliest point in JS.
    gpio.watch((err, value) => {
      const at = now();
      if (err) return;
      const edge: Edge = value === last ? { level: value, at, missed: true } : { level: value, at };
      last = value;
      for (const h of handlers) h(edge);
    });
    return {
      name: `${this.name}:${pin}`,
      read: async () => gpio.readSync(),
      onEdge: (h) => {
        handlers.add(h);
        return () => handlers.delete(h);
      },
      close: async () => this.release(gpio),
    };
  }

  async output(pin: number, options: OutputOptions): Promise<OutputLine> {
    // 'high'/'low' set the level atomically with the direction: no glitch at claim time.
    const electrical = (options.initial ^ (options.activeLow ? 1 : 0)) as Level;
    const gpio = await this.make(pin, electrical ? 'high' : 'low', 'none', options.activeLow ?? false);
    let last: Level = options.initial;
    return {
      name: `${this.name}:${pin}`,
      write: async (level) => {
        gpio.writeSync(level);
        last = level;
      },
      read: async () => last,
      close: async () => this.release(gpio),
    };
  }

  async close(): Promise<void> {
    for (const g of [...this.open]) this.release(g);
  }

  private async make(pin: number, direction: 'in' | 'out' | 'high' | 'low', edge: 'none' | 'both', activeLow: boolean): Promise<OnoffGpioLike> {
    const n = await this.sysfsNumber(pin);
    const factory = this.options.factory ?? (await realOnoff());
    try {
      const g = factory(n, direction, edge, { activeLow });
      this.open.add(g);
      return g;
    } catch (e) {
      throw new PayPointError(ErrorCode.DeviceNotReady, `cannot claim GPIO ${pin} (sysfs ${n}): ${(e as Error).message}`, { pin, sysfs: n }, { cause: e });
    }
  }

  private release(g: OnoffGpioLike): void {
    if (!this.open.delete(g)) return;
    g.unwatchAll();
    g.unexport();
  }
}

async function realOnoff(): Promise<OnoffFactory> {
  const { Gpio } = await import('onoff');
  if (!Gpio.accessible) throw new PayPointError(ErrorCode.DeviceUnsupported, 'GPIO is not accessible on this machine (no /sys/class/gpio)');
  return (n, direction, edge, options) => new Gpio(n, direction, edge, { activeLow: options.activeLow });
}
