/**
 * Builds the payment devices the configuration names (part of main's wiring): each device is either a
 * simulator or a real driver behind the same interface (src/drivers/interfaces.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuiltBoard } from './drivers/board/build.js';
import type { BoardProfile } from './drivers/board/profile.js';
import type { CancelButton, CashAcceptor, CashCredit, DeviceHealth } from './drivers/interfaces.js';
import type { InputLine } from './transports/gpio/line.js';
import { writeFileAtomic } from './base/fsync.js';
import type { Config } from './config/schema.js';
import { ErrorCode, PayPointError } from './errors.js';
import type { CardReader, PaymentDevices } from './drivers/interfaces.js';
import { SimCancelButton } from './drivers/sim/sim-cancel-button.js';
import { SimCardReader } from './drivers/sim/sim-card-reader.js';
import { SimCashAcceptor } from './drivers/sim/sim-cash-acceptor.js';
import { SimDispenser } from './drivers/sim/sim-dispenser.js';
import type { Logger } from './services/log.js';
import type { SimCardCustomer, SimCashCustomer, SimDevices } from './services/sim-control/sim-control-server.js';

export interface AssembledDevices {
  devices: PaymentDevices;
  /** What `paypoint sim` drives (simulation mode). */
  sim: SimDevices;
  /** Extra things to stop on shutdown (simulated terminals). */
  extraStops: Array<() => Promise<void> | void>;
}

// Drivers of real hardware (and their native addons: serialport, onoff, i2c-bus) are loaded only when the
// configuration uses them: a simulated unit starts faster and smaller.
async function buildCard(config: Config, log: Logger, extraStops: AssembledDevices['extraStops']): Promise<{ reader: CardReader | null; customer: SimCardCustomer | null }> {
  const dataDir = config.storage.data_dir;
  const vtk = config.devices.vtk;
  const vtkLog = log.child({ device: 'card' });
  const common = {
    name: 'card',
    journalPath: join(dataDir, 'vtk-ops.json'),
    log: vtkLog,
    productName: vtk.product_name,
    keepaliveMs: vtk.keepalive_s * 1000,
    opTimeoutMs: vtk.operation_timeout_s * 1000,
    // A terminal that cannot be reached is faulted and tried again with a backoff
    // (README.md, "Devices that cannot be opened"); the daemon never waits for it to start.
    reconnectMs: config.devices.open_retry_s * 1000,
    maxReconnectMs: config.devices.open_retry_max_s * 1000,
    target: vtk.transport === 'serial' ? vtk.serial_path : `${vtk.host}:${vtk.port}`,
  };
  switch (config.devices.card) {
    case 'none':
      return { reader: null, customer: null };
    case 'sim': {
      const r = new SimCardReader('card');
      return { reader: r, customer: r };
    }
    case 'vtk': {
      const { VtkCardReader } = await import('./drivers/vtk/vtk-card-reader.js');
      const { openSerialLink } = await import('./drivers/vtk/serial-link.js');
      const { TcpLink } = await import('./transports/tcp/tcp-link.js');
      const reader =
        vtk.transport === 'serial'
          ? new VtkCardReader({ ...common, framing: 'serial', open: () => openSerialLink(vtk.serial_path), watchPath: vtk.serial_path })
          : new VtkCardReader({ ...common, framing: 'tcp', open: () => TcpLink.connect(vtk.host, vtk.port, vtk.connect_timeout_s * 1000) });
      return { reader, customer: null };
    }
    case 'vtk-sim': {
      const { VtkCardReader } = await import('./drivers/vtk/vtk-card-reader.js');
      const { VtkTerminalSim } = await import('./drivers/vtk/vtk-terminal-sim.js');
      const { memoryLinkPair } = await import('./drivers/vtk/memory-link.js');
      // The real VTK driver against a simulated Vendotek terminal in this process (manual mode: the
      // customer's `paypoint sim card approve|decline` decides).
      const terminal = new VtkTerminalSim({ framing: 'serial', mode: 'manual' });
      extraStops.push(() => terminal.close());
      const reader = new VtkCardReader({
        ...common,
        framing: 'serial',
        open: async () => {
          const [vmc, pos] = memoryLinkPair();
          terminal.attach(pos);
          return vmc;
        },
      });
      const customer: SimCardCustomer = {
        async approve() {
          const op = terminal.decide('approve');
          if (!op) throw new PayPointError(ErrorCode.DeviceNotReady, 'no card payment is offered now');
          return op.amount;
        },
        async decline() {
          if (!terminal.decide('decline')) throw new PayPointError(ErrorCode.DeviceNotReady, 'no card payment is offered now');
        },
      };
      return { reader, customer };
    }
  }
}

/** Where board profiles live: board/profiles/ of the installed tree (dist/.. or src/..). */
function profilePath(name: string): string {
  if (isAbsolute(name) || name.includes('/')) return resolve(name);
  return fileURLToPath(new URL(`../board/profiles/${name}.json`, import.meta.url));
}

/**
 * Resolves after the acceptor's next credit has been stored (the engine's handler resolved): the sim
 * control channel answers the customer only then, whatever the device is behind the acceptor.
 */
function watchCredits(acceptor: CashAcceptor): (timeoutMs: number) => Promise<number | null> {
  const waiters: Array<(v: number | null) => void> = [];
  const onCredit = acceptor.onCredit.bind(acceptor);
  acceptor.onCredit = (handler: (c: CashCredit) => Promise<void>) =>
    onCredit(async (c) => {
      await handler(c);
      waiters.shift()?.(c.value);
    });
  return (timeoutMs) =>
    new Promise((res) => {
      const w = (v: number | null): void => {
        clearTimeout(timer);
        res(v);
      };
      const timer = setTimeout(() => {
        const i = waiters.indexOf(w);
        if (i >= 0) waiters.splice(i, 1);
        res(null);
      }, timeoutMs);
      waiters.push(w);
    });
}

/** The board's cancel button line as the payment devices' CancelButton (press = line goes active). */
class LineCancelButton implements CancelButton {
  private handler: (() => Promise<void>) | null = null;
  private unsubscribe: (() => void) | null = null;
  private lastPress = 0n;
  pressed: Promise<void> = Promise.resolve();

  constructor(
    readonly name: string,
    private readonly line: InputLine,
  ) {}

  onPress(handler: () => Promise<void>): void {
    this.handler = handler;
  }

  async start(): Promise<void> {
    this.unsubscribe = this.line.onEdge((e) => {
      // 50 ms debounce: a mechanical button bounces. A missed edge (line.ts) is a press too: the button
      // went down and up (or up and down again) before the line was read.
      if ((e.level !== 1 && !e.missed) || e.at - this.lastPress < 50_000_000n) return;
      this.lastPress = e.at;
      this.pressed = this.handler ? this.handler().catch(() => undefined) : Promise.resolve();
    });
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
  }

  health(): DeviceHealth {
    return { name: this.name, kind: 'button', state: this.unsubscribe ? 'ok' : 'offline', detail: '' };
  }
}

/** Hopper fill levels survive restarts (README.md, "Cash hardware"): DATA_DIR/hopper-levels.json, written atomically. */
function hopperLevelStore(dataDir: string, log: Logger): { initial: Record<number, number> | null; save: (l: Record<number, number>) => void } {
  const file = join(dataDir, 'hopper-levels.json');
  let initial: Record<number, number> | null = null;
  if (existsSync(file)) {
    try {
      initial = JSON.parse(readFileSync(file, 'utf8')) as Record<number, number>;
    } catch (e) {
      log.error({ file, err: { message: (e as Error).message } }, 'hopper levels unreadable: starting from the configuration');
    }
  }
  let writing: Promise<void> = Promise.resolve();
  return {
    initial,
    save: (levels) => {
      const copy = JSON.stringify(levels);
      writing = writing.then(() => writeFileAtomic(file, copy)).catch((e) => log.error({ err: { message: (e as Error).message } }, 'hopper levels not saved'));
    },
  };
}

/**
 * Bills the fitted drop cassette holds, from the board profile (docs/design.md, "Running low and full"),
 * also when the validator is simulated: the unit's profile says what is fitted. Null: not known.
 */
export async function cassetteCapacity(config: Config, log: Logger): Promise<number | null> {
  if (config.devices.bill === 'none') return null;
  try {
    const { loadBoardProfile } = await import('./drivers/board/profile.js');
    return (await loadBoardProfile(profilePath(config.devices.board_profile))).billValidator?.cassetteCapacity ?? null;
  } catch (e) {
    log.warn({ profile: config.devices.board_profile, err: { message: (e as Error).message } }, 'board profile unreadable: cassette capacity unknown');
    return null;
  }
}

/** The board profile with only the devices the configuration sets to "board". */
async function boardProfile(config: Config): Promise<BoardProfile> {
  const dev = config.devices;
  const { loadBoardProfile } = await import('./drivers/board/profile.js');
  const full: BoardProfile = await loadBoardProfile(profilePath(dev.board_profile));
  // Only the devices set to "board" are built from the profile.
  return {
    ...full,
    coinAcceptor: dev.coin === 'board' ? full.coinAcceptor : null,
    billValidator: dev.bill === 'board' ? full.billValidator : null,
    hoppers: dev.hoppers === 'board' ? full.hoppers : [],
    cancelButton: dev.cancel_button === 'board' ? full.cancelButton : null,
  } as BoardProfile;
}

/**
 * Loads the board profile when a device is set to "board", before the daemon opens anything: a bad
 * profile is a configuration error (area 1, naming file, line and field), and the daemon then starts in
 * the configuration-error mode (src/services/appliance/config-error-mode.ts) instead of half-built.
 */
export async function checkBoardProfile(config: Config): Promise<void> {
  const dev = config.devices;
  if (dev.coin === 'board' || dev.bill === 'board' || dev.hoppers === 'board' || dev.cancel_button === 'board') await boardProfile(config);
}

/**
 * Real hardware (README.md, "Devices that cannot be opened"): the daemon starts with what it can open.
 * A board device that cannot be opened (serial port missing, I2C expander not answering, GPIO line not
 * exportable) is faulted with error 506 and tried again with a backoff; it joins once it opens.
 */
async function assembleRealBoard(config: Config, log: Logger, extraStops: AssembledDevices['extraStops']): Promise<AssembledDevices> {
  const dev = config.devices;
  const cfg = dev.sim;
  const { lateBoard } = await import('./drivers/board/late-board.js');
  const levels = hopperLevelStore(config.storage.data_dir, log);
  const board = lateBoard({
    profile: await boardProfile(config),
    log: log.child({ layer: 'driver' }),
    backoff: { firstMs: dev.open_retry_s * 1000, maxMs: dev.open_retry_max_s * 1000 },
    hopperLevels: levels.initial,
    onHopperLevels: levels.save,
    cancelButton: (line) => new LineCancelButton('cancel-button', line),
  });
  extraStops.push(() => board.close());
  const acceptors: CashAcceptor[] = [...board.acceptors];
  const sim: SimDevices = { coin: null, bill: null, card: null, dispenser: null, cancel: null };
  if (dev.coin === 'sim') acceptors.push((sim.coin = new SimCashAcceptor('coin-acceptor', 'coin', cfg.coins)));
  if (dev.bill === 'sim') acceptors.push((sim.bill = new SimCashAcceptor('bill-validator', 'bill', cfg.bills)));
  let dispenser: PaymentDevices['dispenser'] = board.dispenser;
  if (dev.hoppers === 'sim') dispenser = sim.dispenser = new SimDispenser('hoppers', cfg.hopper_coins, cfg.hopper_fill);
  let cancelButton: CancelButton | null = board.cancelButton;
  if (!cancelButton) {
    const c = new SimCancelButton();
    cancelButton = c;
    sim.cancel = c;
  }
  const card = await buildCard(config, log, extraStops);
  sim.card = card.customer;
  return { devices: { acceptors, dispenser, card: card.reader, cancelButton }, sim, extraStops };
}

export async function assembleDevices(config: Config, log: Logger): Promise<AssembledDevices> {
  const dev = config.devices;
  const cfg = dev.sim;
  const extraStops: AssembledDevices['extraStops'] = [];
  const usesBoard = dev.coin === 'board' || dev.bill === 'board' || dev.hoppers === 'board' || dev.cancel_button === 'board';

  let board: BuiltBoard | null = null;
  if (usesBoard && !dev.board_simulated) return assembleRealBoard(config, log, extraStops);
  if (usesBoard) {
    // Simulated board (driver-level simulation): everything is there, built at once.
    const { buildBoard } = await import('./drivers/board/build.js');
    const profile = await boardProfile(config);
    const levels = hopperLevelStore(config.storage.data_dir, log);
    const simLevels = Object.fromEntries(cfg.hopper_coins.map((c, i) => [c, cfg.hopper_fill[i] ?? 0]));
    board = await buildBoard(profile, {
      simulated: true,
      log: log.child({ layer: 'driver' }),
      hopperLevels: levels.initial ?? simLevels,
      onHopperLevels: levels.save,
      reopen: { firstMs: dev.open_retry_s * 1000, maxMs: dev.open_retry_max_s * 1000 },
    });
    await board.startSims();
    const b = board;
    extraStops.push(() => b.close());
  }

  const acceptors: CashAcceptor[] = [];
  const sim: SimDevices = { coin: null, bill: null, card: null, dispenser: null, cancel: null };

  if (dev.coin === 'sim') {
    const coin = new SimCashAcceptor('coin-acceptor', 'coin', cfg.coins);
    acceptors.push(coin);
    sim.coin = coin;
  } else if (dev.coin === 'board') {
    const coin = board!.acceptors.find((a) => a.kind === 'coin');
    if (coin) {
      acceptors.push(coin);
      const pulses = board!.sims?.coin;
      if (pulses) {
        const next = watchCredits(coin);
        sim.coin = {
          name: coin.name,
          denominations: () => coin.denominations(),
          async insert(value) {
            const credited = next(5_000);
            const r = await pulses.insert(value);
            if (r === 'unknown') return { accepted: false, reason: 'unknown-value' };
            if (r === 'refused') return { accepted: false, reason: 'disabled' };
            const v = await credited;
            return v === null ? { accepted: false, reason: 'disabled' } : { accepted: true, value: v };
          },
        };
      }
    }
  }

  if (dev.bill === 'sim') {
    const bill = new SimCashAcceptor('bill-validator', 'bill', cfg.bills);
    acceptors.push(bill);
    sim.bill = bill;
  } else if (dev.bill === 'board') {
    const { CcnetValidatorSim, RUB_BILL_TABLE } = await import('./drivers/ccnet/ccnet-sim.js');
    const bill = board!.acceptors.find((a) => a.kind === 'bill');
    if (bill) {
      acceptors.push(bill);
      const bs = board!.sims?.bill;
      if (bs) {
        const next = watchCredits(bill);
        sim.bill = {
          name: bill.name,
          denominations: () => bill.denominations(),
          async insert(value) {
            const credited = next(8_000);
            if (bs instanceof CcnetValidatorSim) {
              const entry = RUB_BILL_TABLE.find((e) => e.value === value);
              if (!entry) return { accepted: false, reason: 'unknown-value' };
              if (bs.insertBill(entry.billType) === 'refused') return { accepted: false, reason: 'disabled' };
            } else {
              const r = await bs.insert(value);
              if (r === 'unknown') return { accepted: false, reason: 'unknown-value' };
              if (r === 'refused') return { accepted: false, reason: 'disabled' };
            }
            const v = await credited;
            // No credit: the validator returned or rejected the bill (escrow decision, inhibit).
            return v === null ? { accepted: false, reason: 'returned' } : { accepted: true, value: v };
          },
        };
      }
    }
  }

  let dispenser: PaymentDevices['dispenser'] = null;
  if (dev.hoppers === 'sim') {
    const d = new SimDispenser('hoppers', cfg.hopper_coins, cfg.hopper_fill);
    dispenser = d;
    sim.dispenser = d;
  } else if (dev.hoppers === 'board') {
    dispenser = board!.dispenser;
    sim.dispenser = board!.dispenser;
  }

  let cancelButton: CancelButton;
  if (dev.cancel_button === 'board' && board!.cancelButton) {
    const button = new LineCancelButton('cancel-button', board!.cancelButton);
    cancelButton = button;
    const wire = board!.sims?.cancelWire;
    const active = board!.sims?.cancelActiveLevel ?? 1;
    sim.cancel = wire
      ? {
          async press() {
            wire.set(active);
            await new Promise((r) => setTimeout(r, 20));
            await button.pressed;
            wire.set((active ^ 1) as 0 | 1);
          },
        }
      : null;
  } else {
    const c = new SimCancelButton();
    cancelButton = c;
    sim.cancel = c;
  }

  const card = await buildCard(config, log, extraStops);
  sim.card = card.customer;
  return {
    devices: { acceptors, dispenser, card: card.reader, cancelButton },
    sim,
    extraStops,
  };
}
