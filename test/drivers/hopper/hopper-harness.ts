/** Hoppers and their simulators on simulated lines (not a test file). */
import { SimLines } from '../../../src/transports/gpio/sim-lines.js';
import { ParallelHopper, type ParallelHopperOptions } from '../../../src/drivers/hopper/parallel-hopper.js';
import { HopperSim, type HopperSimOptions } from '../../../src/drivers/hopper/hopper-sim.js';
import { MemoryLog } from '../../../src/drivers/driver-log.js';

export async function simHopper(
  lines: SimLines,
  firstPin: number,
  value: number,
  sim: HopperSimOptions,
  opts: { sensor?: boolean; errorLine?: boolean; driver?: Partial<ParallelHopperOptions> } = {},
) {
  const [m, c, e, s] = [firstPin, firstPin + 1, firstPin + 2, firstPin + 3];
  const log = new MemoryLog();
  const hopper = new ParallelHopper({
    name: `hopper-${value}`,
    value,
    motor: await lines.output(m, { initial: 0 }),
    coinOut: await lines.input(c),
    error: opts.errorLine ? await lines.input(e) : null,
    empty: opts.sensor === false ? null : await lines.input(s),
    coinPulse: { minPulseMs: 5, maxPulseMs: 100 },
    errorPulse: { minPulseMs: 5, maxPulseMs: 100, minGapMs: 2, trainEndMs: 120 },
    errorCodes: { 3: 'coin jam at the exit' },
    noCoinTimeoutMs: 400,
    runDownMs: 120,
    log,
    ...opts.driver,
  });
  const device = new HopperSim(
    { motor: lines.wire(m), coinOut: lines.wire(c), error: lines.wire(e), empty: lines.wire(s) },
    { coinIntervalMs: 40, pulseMs: 20, emptyBelow: 0, ...sim },
  );
  return { hopper, device, log, motorWire: lines.wire(m) };
}
