/**
 * Builds the cash devices of a board profile (README.md, "Cash hardware"): line providers, the coin acceptor, the
 * bill validator, the hopper bank and the cancel-button line, either on the real hardware or fully
 * simulated at the driver level: simulated lines with the device simulators on them (pulse trains,
 * hopper coins, MCP23017 registers) and the CCNET simulator on the far end of a socat pty pair. The
 * drivers are the same in both cases; only what is behind the lines and the serial port differs.
 */
import type { BoardProfile, LineRef } from './profile.js';
import { ErrorCode, PayPointError } from '../../errors.js';
import { pulseValues } from './profile.js';
import type { InputLine, Level, LineProvider, OutputLine } from '../../transports/gpio/line.js';
import { OnoffGpio } from '../../transports/gpio/onoff-gpio.js';
import { SimLines, type SimWire } from '../../transports/gpio/sim-lines.js';
import { openI2cBus, type I2cBus } from '../../transports/i2c/i2c-bus.js';
import { NodeSerialLink } from '../../transports/serial/serial-port.js';
import { openPtyPair, type PtyPair } from '../../transports/serial/pty-pair.js';
import { Mcp23017 } from '../mcp23017/mcp23017.js';
import { Mcp23017Sim } from '../mcp23017/mcp23017-sim.js';
import { PulseCashAcceptor } from '../pulse/pulse-acceptor.js';
import { PulseDeviceSim } from '../pulse/pulse-sim.js';
import { CcnetBillValidator } from '../ccnet/ccnet-validator.js';
import { CcnetValidatorSim } from '../ccnet/ccnet-sim.js';
import { ParallelHopper } from '../hopper/parallel-hopper.js';
import { HopperSim } from '../hopper/hopper-sim.js';
import { HopperDispenser } from '../hopper/hopper-dispenser.js';
import type { CashAcceptor } from '../interfaces.js';
import { nullLog, type DriverLog } from '../driver-log.js';
import type { ChangeOptions } from '../../base/change.js';
import type { BackoffOptions } from '../late/reopen.js';

export interface BuildOptions {
  /** true: everything simulated behind the same drivers. */
  simulated: boolean;
  log?: DriverLog;
  /** Persisted hopper fill levels (kopeck value -> coins); in simulation also what the hoppers hold. */
  hopperLevels?: Record<number, number>;
  onHopperLevels?: (levels: Record<number, number>) => void;
  change?: ChangeOptions;
  /** Real hardware only: sysfs root for GPIO (tests). */
  sysfsRoot?: string;
  /** Real hardware only: opens an I2C bus (default the i2c-bus addon; tests put a register simulator behind it). */
  openI2c?: (bus: number) => Promise<I2cBus>;
  /** A CCNET validator's serial port lost while running is reopened on this backoff (the start-up one: devices.open_retry_s, open_retry_max_s). */
  reopen?: BackoffOptions;
}

/** Handles on the simulators, for the sim control channel and tests. */
export interface BoardSims {
  coin: PulseDeviceSim | null;
  bill: CcnetValidatorSim | PulseDeviceSim | null;
  hoppers: Map<number, HopperSim>;
  /** The wire of the cancel button (set to the active level to press). */
  cancelWire: SimWire | null;
  cancelActiveLevel: Level;
}

export interface BuiltBoard {
  acceptors: CashAcceptor[];
  dispenser: HopperDispenser | null;
  cancelButton: InputLine | null;
  sims: BoardSims | null;
  /** Starts the simulators (the drivers are started by their owner). */
  startSims(): Promise<void>;
  /** Releases lines, ports, pty pair and simulators (stop the drivers first). */
  close(): Promise<void>;
}

export async function buildBoard(profile: BoardProfile, options: BuildOptions): Promise<BuiltBoard> {
  const providers = new Map<string, LineProvider>();
  const closers: Array<() => Promise<void>> = [];
  try {
    return await build(profile, options, providers, closers);
  } catch (e) {
    // Lines claimed and buses opened before the failure are released, so the next try (a device that
    // was not there yet: README.md, "Devices that cannot be opened") can claim them again.
    for (const p of [...providers.values()].reverse()) await p.close().catch(() => undefined);
    for (const c of closers) await c().catch(() => undefined);
    throw e;
  }
}

async function build(profile: BoardProfile, options: BuildOptions, providers: Map<string, LineProvider>, closers: Array<() => Promise<void>>): Promise<BuiltBoard> {
  const log = options.log ?? nullLog;
  const simWires = new Map<string, (pin: number) => SimWire>();

  // Pi GPIO first: an expander's interrupt line lives on it.
  for (const [name, p] of Object.entries(profile.lineProviders)) {
    if (p.type !== 'gpio') continue;
    if (options.simulated) {
      const lines = new SimLines(name);
      providers.set(name, lines);
      simWires.set(name, (pin) => lines.wire(pin));
    } else {
      providers.set(name, new OnoffGpio({ name, chipLabel: p.chipLabel, sysfsRoot: options.sysfsRoot, log }));
    }
  }
  const claimInput = (ref: LineRef) => providers.get(ref.provider)!.input(ref.pin, { activeLow: ref.activeLow, pull: ref.pull });
  const claimOutput = (ref: LineRef, initial: Level) => providers.get(ref.provider)!.output(ref.pin, { activeLow: ref.activeLow, initial });
  for (const [name, p] of Object.entries(profile.lineProviders)) {
    if (p.type !== 'mcp23017') continue;
    let bus;
    if (options.simulated) {
      const pins = new SimLines(`${name}-pins`, 17);
      const intWire = p.interrupt ? simWires.get(p.interrupt.provider)!(p.interrupt.pin) : null;
      intWire?.set(1);
      const chip = new Mcp23017Sim(pins, p.address, intWire);
      simWires.set(name, (pin) => chip.wire(pin));
      bus = chip;
    } else {
      bus = await (options.openI2c ?? openI2cBus)(p.bus);
      closers.push(() => bus!.close());
    }
    const interrupt = p.interrupt ? await claimInput(p.interrupt) : null;
    const mcp = new Mcp23017({ name, bus, address: p.address, interrupt, pollIntervalMs: p.pollIntervalMs });
    providers.set(name, mcp);
    if (!options.simulated) {
      // The chip is set up now, so that one not answering is named with its bus and address.
      await mcp.init().catch((e: Error) => {
        throw new PayPointError(ErrorCode.DeviceNotReady, `I2C expander "${name}" (MCP23017, bus ${p.bus}, address 0x${p.address.toString(16)}): ${e.message}`, { provider: name, bus: p.bus, address: p.address }, { cause: e });
      });
    }
  }
  const wireOf = (ref: LineRef) => simWires.get(ref.provider)!(ref.pin);
  /** Electrical level of a logical level on a line. */
  const electrical = (ref: LineRef, logical: Level) => (logical ^ (ref.activeLow ? 1 : 0)) as Level;

  const acceptors: CashAcceptor[] = [];
  const sims: BoardSims = { coin: null, bill: null, hoppers: new Map(), cancelWire: null, cancelActiveLevel: 0 };
  const simStarters: Array<() => Promise<void>> = [];

  if (profile.coinAcceptor) {
    const c = profile.coinAcceptor;
    const values = pulseValues(c.values);
    if (options.simulated) {
      // The device idles released before the driver claims the line.
      wireOf(c.pulse).set(electrical(c.pulse, 0));
    }
    const acceptor = new PulseCashAcceptor({
      name: 'coin-acceptor',
      kind: 'coin',
      pulse: await claimInput(c.pulse),
      inhibit: c.inhibit ? await claimOutput(c.inhibit, 1) : null,
      decoder: { ...c.timings, values },
      log,
    });
    acceptors.push(acceptor);
    if (options.simulated) {
      const pulsesFor = Object.fromEntries(Object.entries(values).map(([n, v]) => [v, Number(n)]));
      const pulseMs = Math.round((c.timings.minPulseMs + c.timings.maxPulseMs) / 3);
      sims.coin = new PulseDeviceSim(wireOf(c.pulse), {
        pulsesFor,
        pulseMs,
        gapMs: pulseMs,
        pauseMs: c.timings.trainEndMs * 2,
        activeLow: c.pulse.activeLow,
        inhibit: c.inhibit ? { wire: wireOf(c.inhibit), blockingLevel: electrical(c.inhibit, 1) } : undefined,
      });
    }
  }

  const bv = profile.billValidator;
  if (bv?.type === 'ccnet') {
    let path = bv.port;
    if (options.simulated) {
      const pair: PtyPair = await openPtyPair();
      closers.push(() => pair.close());
      path = pair.a;
      const sim = new CcnetValidatorSim(new NodeSerialLink({ path: pair.b, baudRate: bv.baudRate }), { address: bv.address });
      sims.bill = sim;
      simStarters.push(() => sim.start());
      closers.unshift(() => sim.stop());
    }
    acceptors.push(
      new CcnetBillValidator({ name: 'bill-validator', link: new NodeSerialLink({ path, baudRate: bv.baudRate }), address: bv.address, country: bv.country, reopen: options.reopen, log }),
    );
  } else if (bv?.type === 'pulse') {
    const values = pulseValues(bv.values);
    if (options.simulated) wireOf(bv.pulse).set(electrical(bv.pulse, 0));
    acceptors.push(
      new PulseCashAcceptor({
        name: 'bill-validator',
        kind: 'bill',
        pulse: await claimInput(bv.pulse),
        inhibit: bv.inhibit ? await claimOutput(bv.inhibit, 1) : null,
        decoder: { ...bv.timings, values },
        log,
      }),
    );
    if (options.simulated) {
      const pulseMs = Math.round((bv.timings.minPulseMs + bv.timings.maxPulseMs) / 3);
      sims.bill = new PulseDeviceSim(wireOf(bv.pulse), {
        pulsesFor: Object.fromEntries(Object.entries(values).map(([n, v]) => [v, Number(n)])),
        pulseMs,
        gapMs: pulseMs,
        pauseMs: bv.timings.trainEndMs * 2,
        activeLow: bv.pulse.activeLow,
        inhibit: bv.inhibit ? { wire: wireOf(bv.inhibit), blockingLevel: electrical(bv.inhibit, 1) } : undefined,
      });
    }
  }

  let dispenser: HopperDispenser | null = null;
  if (profile.hoppers.length > 0) {
    const hoppers: ParallelHopper[] = [];
    for (const h of profile.hoppers) {
      if (options.simulated) {
        // Released outputs before the driver claims its inputs.
        wireOf(h.coinOut).set(electrical(h.coinOut, 0));
        if (h.error) wireOf(h.error).set(electrical(h.error, 0));
      }
      const motor: OutputLine = await claimOutput(h.motor, 0);
      const errorCodes = Object.fromEntries(Object.entries(h.errorCodes).map(([k, v]) => [Number(k), v]));
      hoppers.push(
        new ParallelHopper({
          name: `hopper-${h.value}`,
          value: h.value,
          motor,
          coinOut: await claimInput(h.coinOut),
          error: h.error ? await claimInput(h.error) : null,
          empty: h.empty ? await claimInput(h.empty) : null,
          coinPulse: h.coinPulse,
          noCoinTimeoutMs: h.noCoinTimeoutMs,
          runDownMs: h.runDownMs,
          errorCodes,
          log,
        }),
      );
      if (options.simulated) {
        if (h.motor.activeLow) throw new RangeError('the hopper simulator drives active-high motors only');
        sims.hoppers.set(
          h.value,
          new HopperSim(
            { motor: wireOf(h.motor), coinOut: wireOf(h.coinOut), error: h.error ? wireOf(h.error) : undefined, empty: h.empty ? wireOf(h.empty) : undefined },
            {
              coins: options.hopperLevels?.[h.value] ?? 0,
              coinIntervalMs: Math.max(60, Math.ceil(h.coinPulse.maxPulseMs / 2) + 30),
              pulseMs: Math.ceil((h.coinPulse.minPulseMs + h.coinPulse.maxPulseMs) / 3),
              activeLow: { coinOut: h.coinOut.activeLow, error: h.error?.activeLow, empty: h.empty?.activeLow },
            },
          ),
        );
      }
    }
    dispenser = new HopperDispenser({ hoppers, levels: options.hopperLevels, onLevels: options.onHopperLevels, change: options.change, log });
  }

  let cancelButton: InputLine | null = null;
  if (profile.cancelButton) {
    if (options.simulated) {
      wireOf(profile.cancelButton).set(electrical(profile.cancelButton, 0));
      sims.cancelWire = wireOf(profile.cancelButton);
      sims.cancelActiveLevel = electrical(profile.cancelButton, 1);
    }
    cancelButton = await claimInput(profile.cancelButton);
  }

  return {
    acceptors,
    dispenser,
    cancelButton,
    sims: options.simulated ? sims : null,
    async startSims() {
      for (const s of simStarters) await s();
    },
    async close() {
      for (const p of [...providers.values()].reverse()) await p.close().catch(() => undefined);
      for (const c of closers) await c().catch(() => undefined);
    },
  };
}
