/**
 * The Raspberry Pi's own GPIO through `onoff` (sysfs). Pin numbers in configuration are BCM numbers;
 * sysfs numbers them from the chip's base, which kernels 6.6+ moved (512 on Pi 4, 571 on Pi 5;
 * github.com/fivdi/onoff issues 199, 200, 204), so the base is read from the gpiochip whose `label`
 * matches, never assumed.
 *
 * onoff itself runs in the GPIO helper process (onoff-helper.ts, onoff-host.ts: why a process), inputs
 * and outputs alike, so the daemon never loads it: edges come here timestamped by the helper, in order,
 * over the IPC channel, and InputLine.sync() is a round trip on that same channel.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCode, PayPointError } from '../../errors.js';
import type { Edge, InputLine, InputOptions, Level, LineProvider, OutputLine, OutputOptions } from './line.js';
import { OnoffHost, type HostMessage, type HostRequest, type OnoffFactory } from './onoff-host.js';

export type { OnoffFactory, OnoffGpioLike } from './onoff-host.js';

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

/** The helper's nice value (systemd/paypoint.service's LimitNICE= allows it to the unprivileged unit). */
export const GPIO_HELPER_NICE = -10;

/** What the provider logs (a structural subset of the driver log; transports import no drivers). */
export interface GpioLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface OnoffGpioOptions {
  name?: string;
  /** /sys/class/gpio; a fake directory in tests. */
  sysfsRoot?: string;
  /** gpiochip label; null: the Pi's SoC controller, whichever model. */
  chipLabel?: string | null;
  /**
   * A fake onoff, run in this process behind the same messages (tests). Default: the real onoff in the
   * helper process.
   */
  factory?: OnoffFactory;
  /** The helper's entry (tests: a helper with a fake onoff); default onoff-helper.js beside this module. */
  helperEntry?: string;
  /** The helper's nice value; null leaves it. */
  nice?: number | null;
  log?: GpioLog;
}

/** The channel to the side that holds the onoff objects. */
interface HostChannel {
  send(req: HostRequest): void;
  /** Keep the daemon's event loop alive for the channel (true while a request waits for its reply). */
  hold(on: boolean): void;
  close(): Promise<void>;
}

/** onoff-helper.js next to this module: dist/ (the bundle, dist/onoff-helper.js, and tsc's output) or src/ under tsx. */
export function defaultHelperEntry(): string {
  const here = import.meta.url;
  return fileURLToPath(new URL(here.endsWith('.ts') ? './onoff-helper.ts' : './onoff-helper.js', here));
}

export class OnoffGpio implements LineProvider {
  readonly name: string;
  private chip: GpioChip | null = null;
  private channel: HostChannel | null = null;
  private lost: Error | null = null;
  private closed = false;
  private seq = 0;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (m: { at: bigint; value?: Level }) => void; reject: (e: Error) => void }>();
  private readonly handlers = new Map<number, Set<(e: Edge) => void>>();
  private readonly open = new Set<number>();
  private readonly log: GpioLog | null;

  constructor(private readonly options: OnoffGpioOptions = {}) {
    this.name = options.name ?? 'gpio';
    this.log = options.log ?? null;
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
    const n = await this.sysfsNumber(pin);
    const id = ++this.nextId;
    const handlers = new Set<(e: Edge) => void>();
    this.handlers.set(id, handlers);
    await this.claim({ t: 'input', id, sysfs: n, activeLow: options.activeLow ?? false }, pin, n);
    return {
      name: `${this.name}:${pin}`,
      read: async () => (await this.request({ t: 'read', id })).value!,
      onEdge: (h) => {
        handlers.add(h);
        return () => handlers.delete(h);
      },
      sync: async () => (await this.request({ t: 'sync' })).at,
      close: async () => this.release(id),
    };
  }

  async output(pin: number, options: OutputOptions): Promise<OutputLine> {
    const n = await this.sysfsNumber(pin);
    const id = ++this.nextId;
    // 'high'/'low' set the level atomically with the direction: no glitch at claim time.
    const electrical = (options.initial ^ (options.activeLow ? 1 : 0)) as Level;
    await this.claim({ t: 'output', id, sysfs: n, direction: electrical ? 'high' : 'low', activeLow: options.activeLow ?? false }, pin, n);
    let last: Level = options.initial;
    return {
      name: `${this.name}:${pin}`,
      write: async (level) => {
        await this.request({ t: 'write', id, level });
        last = level;
      },
      read: async () => last,
      close: async () => this.release(id),
    };
  }

  /** Releases every line (unexported) and ends the helper. */
  async close(): Promise<void> {
    this.closed = true;
    const ch = this.channel;
    this.channel = null;
    this.open.clear();
    this.handlers.clear();
    if (ch) await ch.close();
  }

  private async claim(req: DistributiveOmit<HostRequest, 'seq'> & { t: 'input' | 'output'; id: number }, pin: number, n: number): Promise<void> {
    try {
      await this.request(req);
      this.open.add(req.id);
    } catch (e) {
      this.handlers.delete(req.id);
      const unsupported = (e as { unsupported?: boolean }).unsupported === true;
      if (unsupported) throw new PayPointError(ErrorCode.DeviceUnsupported, (e as Error).message, { pin, sysfs: n }, { cause: e });
      throw new PayPointError(ErrorCode.DeviceNotReady, `cannot claim GPIO ${pin} (sysfs ${n}): ${(e as Error).message}`, { pin, sysfs: n }, { cause: e });
    }
  }

  private async release(id: number): Promise<void> {
    if (!this.open.delete(id)) return;
    this.handlers.delete(id);
    if (this.channel) await this.request({ t: 'release', id });
  }

  private request(body: DistributiveOmit<HostRequest, 'seq'>): Promise<{ at: bigint; value?: Level }> {
    if (this.lost) return Promise.reject(this.lost);
    if (this.closed) return Promise.reject(new PayPointError(ErrorCode.DeviceNotReady, `GPIO provider "${this.name}" is closed`, { provider: this.name }));
    const seq = ++this.seq;
    const channel = (this.channel ??= this.startChannel());
    if (this.pending.size === 0) channel.hold(true);
    return new Promise((resolve, reject) => {
      this.pending.set(seq, { resolve, reject });
      channel.send({ ...body, seq } as HostRequest);
    });
  }

  private receive(m: HostMessage): void {
    switch (m.t) {
      case 'edge': {
        const handlers = this.handlers.get(m.id);
        if (!handlers) return;
        const edge: Edge = m.missed ? { level: m.level, at: m.at, missed: true } : { level: m.level, at: m.at };
        for (const h of handlers) h(edge);
        return;
      }
      case 'reply': {
        const p = this.pending.get(m.seq);
        if (!p) return;
        this.pending.delete(m.seq);
        if (this.pending.size === 0) this.channel?.hold(false);
        if ('error' in m) p.reject(Object.assign(new Error(m.error.message), { unsupported: m.error.unsupported }));
        else p.resolve(m.value === undefined ? { at: m.at } : { at: m.at, value: m.value });
        return;
      }
      case 'started':
        if (m.niceError) this.log?.warn({ provider: this.name, pid: m.pid, nice: m.nice, wanted: this.options.nice ?? GPIO_HELPER_NICE, err: m.niceError }, 'gpio: helper priority not raised (LimitNICE=?); it runs at the default priority');
        else this.log?.info({ provider: this.name, pid: m.pid, nice: m.nice }, 'gpio: helper started');
        return;
    }
  }

  private startChannel(): HostChannel {
    if (this.options.factory) {
      const factory = this.options.factory;
      const host = new OnoffHost(async () => factory, (m) => this.receive(m));
      return {
        send: (req) => void host.handle(req),
        hold: () => undefined,
        close: async () => host.releaseAll(),
      };
    }
    return this.forkHelper();
  }

  private forkHelper(): HostChannel {
    const nice = this.options.nice === undefined ? GPIO_HELPER_NICE : this.options.nice;
    // 'advanced': structured clone, so the bigint timestamps cross as they are.
    const child: ChildProcess = fork(this.options.helperEntry ?? defaultHelperEntry(), nice === null ? [] : [String(nice)], {
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    // The helper alone never keeps the daemon running (a CLI that is done may exit), only a request
    // waiting for its reply does (hold).
    child.unref();
    child.channel?.unref();
    let closing = false;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.on('message', (m) => this.receive(m as HostMessage));
    child.on('error', (e) => this.log?.error({ provider: this.name, err: { message: e.message } }, 'gpio: helper process error'));
    child.once('exit', (code, signal) => {
      if (closing) return;
      // The lines are no longer read: a coin let in now would be taken and never credited. Every waiting
      // request fails, and the daemon ends (systemd restarts it, and the new one claims the lines with the
      // inhibit closed) rather than run on with coin lines nobody reads.
      this.lost = new PayPointError(ErrorCode.DeviceFault, `GPIO helper process of "${this.name}" ended (code ${code}, signal ${signal})`, { provider: this.name, code, signal });
      for (const p of this.pending.values()) p.reject(this.lost);
      this.pending.clear();
      this.log?.error({ provider: this.name, code, signal }, 'gpio: helper process ended; the daemon stops');
      const lost = this.lost;
      if (this.open.size > 0) setImmediate(() => { throw lost; });
    });
    return {
      send: (req) => child.send(req),
      hold: (on) => (on ? child.channel?.ref() : child.channel?.unref()),
      close: async () => {
        closing = true;
        child.ref();
        // The helper releases (unexports) its lines when the channel closes, then exits.
        if (child.connected) child.disconnect();
        await exited;
      },
    };
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
