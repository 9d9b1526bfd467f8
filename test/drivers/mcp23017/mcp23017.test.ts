import t from 'tap';
import { SimLines } from '../../../src/transports/gpio/sim-lines.js';
import { Mcp23017 } from '../../../src/drivers/mcp23017/mcp23017.js';
import { Mcp23017Sim } from '../../../src/drivers/mcp23017/mcp23017-sim.js';
import { Reg } from '../../../src/drivers/mcp23017/registers.js';
import { ErrorCode } from '../../../src/errors.js';
import type { Edge } from '../../../src/transports/gpio/line.js';
import { PulseCashAcceptor, COIN_PULSE_TIMINGS } from '../../../src/drivers/pulse/pulse-acceptor.js';
import { PulseDeviceSim } from '../../../src/drivers/pulse/pulse-sim.js';
import { ParallelHopper } from '../../../src/drivers/hopper/parallel-hopper.js';
import { HopperSim } from '../../../src/drivers/hopper/hopper-sim.js';
import { waitFor } from '../../helpers/wait.js';

async function board(withInt: boolean) {
  const pins = new SimLines('mcp-pins', 17);
  const pi = new SimLines('pi');
  const sim = new Mcp23017Sim(pins, 0x20, pi.wire(25, 1));
  const mcp = new Mcp23017({ bus: sim, address: 0x20, interrupt: withInt ? await pi.input(25, { activeLow: true }) : null, pollIntervalMs: 2 });
  return { pins, pi, sim, mcp };
}

t.test('set-up: IOCON MIRROR|ODR, all inputs; an output comes up at its level without a glitch', async (t) => {
  const { sim, mcp } = await board(true);
  t.teardown(() => mcp.close());
  const seen: number[] = [];
  sim.wire(9).watch((l) => seen.push(l));
  const relay = await mcp.output(9, { initial: 1 });
  t.equal(sim.regs[Reg.IOCON], 0x44);
  t.equal(sim.regs[Reg.IODIRA], 0xff);
  t.equal(sim.regs[Reg.IODIRA + 1], 0xfd, 'GPB1 is an output');
  t.equal(sim.regs[Reg.OLATA + 1], 0x02);
  t.same(seen, [1], 'went straight to 1');
  // OLAT was written before IODIR.
  const olatAt = sim.log.findIndex((e) => e.op === 'w' && e.reg === Reg.OLATA + 1 && e.value === 0x02);
  const iodirAt = sim.log.findIndex((e) => e.op === 'w' && e.reg === Reg.IODIRA + 1 && e.value === 0xfd);
  t.ok(olatAt >= 0 && olatAt < iodirAt);
  await relay.write(0);
  t.equal(sim.wire(9).get(), 0);
  t.equal(await relay.read(), 0);
});

t.test('inputs: pull-up, active-low, read; edges through the interrupt line with INTCAP', async (t) => {
  const { sim, mcp } = await board(true);
  t.teardown(() => mcp.close());
  const sensor = await mcp.input(3, { pull: 'up', activeLow: true });
  t.equal(sim.regs[Reg.GPPUA], 0x08);
  t.equal(sim.regs[Reg.GPINTENA], 0x08);
  t.equal(await sensor.read(), 0, 'pulled up, active low: inactive');
  const edges: Edge[] = [];
  sensor.onEdge((e) => edges.push(e));
  // The sensor's open collector: released (high, as the pull-up already showed), then pulling low.
  sim.wire(3).set(1);
  sim.wire(3).set(0);
  await waitFor('falling edge seen', () => edges.length === 1);
  t.equal(edges[0].level, 1);
  t.equal(sim.intWire.get(), 1, 'interrupt cleared by the driver');
  sim.wire(3).set(1);
  await waitFor('rising edge seen', () => edges.length === 2);
  t.equal(edges[1].level, 0);
});

t.test('a pulse shorter than the read: INTCAP still shows it (both edges reported)', async (t) => {
  const { sim, mcp } = await board(true);
  t.teardown(() => mcp.close());
  const line = await mcp.input(12);
  const edges: Edge[] = [];
  line.onEdge((e) => edges.push(e));
  // Up and down again before the driver can read: INTCAP captured the high level.
  sim.wire(12).set(1);
  sim.wire(12).set(0);
  await waitFor('both edges', () => edges.length === 2);
  t.same(edges.map((e) => e.level), [1, 0]);
});

t.test('without an interrupt line the port is polled', async (t) => {
  const { sim, mcp } = await board(false);
  t.teardown(() => mcp.close());
  const line = await mcp.input(0);
  const edges: Edge[] = [];
  line.onEdge((e) => edges.push(e));
  sim.wire(0).set(1);
  await waitFor('edge by polling', () => edges.length === 1);
  t.equal(sim.regs[Reg.GPINTENA], 0);
});

t.test('errors: wrong address, bad pin, pin in use', async (t) => {
  const pins = new SimLines('mcp-pins', 17);
  const sim = new Mcp23017Sim(pins, 0x20);
  const wrong = new Mcp23017({ bus: sim, address: 0x21 });
  await t.rejects(wrong.input(0), { code: ErrorCode.DeviceFault });
  const mcp = new Mcp23017({ bus: sim, address: 0x20, pollIntervalMs: 2 });
  t.teardown(() => mcp.close());
  await t.rejects(mcp.input(16), { code: ErrorCode.DeviceUnsupported });
  await mcp.input(2);
  await t.rejects(mcp.output(2, { initial: 0 }), { code: ErrorCode.DeviceNotReady });
});

t.test('devices work the same wired to the expander: a coin acceptor and a hopper', async (t) => {
  const { sim, mcp } = await board(true);
  t.teardown(() => mcp.close());
  const acceptor = new PulseCashAcceptor({
    name: 'coins',
    kind: 'coin',
    pulse: await mcp.input(0, { pull: 'up', activeLow: true }),
    inhibit: await mcp.output(8, { initial: 1 }),
    decoder: { ...COIN_PULSE_TIMINGS, values: { 1: 100, 5: 500 } },
  });
  const credits: number[] = [];
  acceptor.onCredit(async (c) => {
    credits.push(c.value);
  });
  await acceptor.start();
  await acceptor.setEnabled(true);
  const coinSim = new PulseDeviceSim(sim.wire(0), { pulsesFor: { 500: 5 }, activeLow: true, inhibit: { wire: sim.wire(8), blockingLevel: 1 } });
  t.equal(await coinSim.insert(500), 'inserted');
  await waitFor('coin credited through the expander', () => credits.length === 1);
  t.same(credits, [500]);
  await acceptor.stop();
  t.equal(sim.wire(8).get(), 1, 'inhibited through the expander');

  const hopper = new ParallelHopper({ name: 'h', value: 100, motor: await mcp.output(9, { initial: 0 }), coinOut: await mcp.input(1), empty: await mcp.input(2), coinPulse: { minPulseMs: 5, maxPulseMs: 100 }, noCoinTimeoutMs: 400 });
  const device = new HopperSim({ motor: sim.wire(9), coinOut: sim.wire(1), empty: sim.wire(2) }, { coins: 10, coinIntervalMs: 40, pulseMs: 20 });
  await hopper.start();
  t.same(await hopper.pay(3, async () => {}), { coins: 3, stop: 'done' });
  t.equal(device.dropped, 3);
  await hopper.stop();
});
