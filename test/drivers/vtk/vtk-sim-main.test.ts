/**
 * The VTK terminal simulator as its own process (vtk-sim-main.ts), as the demos run it: the driver pays
 * through it over a REAL pty pair and over TCP; stdin commands switch its mode.
 */
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { CardOutcome } from '../../../src/drivers/interfaces.js';
import { openSerialLink } from '../../../src/drivers/vtk/serial-link.js';
import { VtkCardReader, type VtkCardReaderOptions } from '../../../src/drivers/vtk/vtk-card-reader.js';
import { TcpLink } from '../../../src/transports/tcp/tcp-link.js';
import { FAST, ptyPair, tempDir } from './vtk-harness.js';
import { waitFor } from '../../helpers/wait.js';

const REPO = resolve(import.meta.dirname, '../../..');
const MAIN = join(REPO, 'src/drivers/vtk/vtk-sim-main.ts');

interface SimProcess {
  child: ChildProcess;
  events: Array<Record<string, unknown>>;
  stop(): Promise<number | null>;
}

async function startSim(args: string[]): Promise<SimProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: REPO, stdio: ['pipe', 'pipe', 'inherit'] });
  const events: Array<Record<string, unknown>> = [];
  createInterface({ input: child.stdout! }).on('line', (l) => events.push(JSON.parse(l) as Record<string, unknown>));
  await waitFor('simulator ready', () => events.find((e) => e.event === 'ready') || child.exitCode !== null);
  if (child.exitCode !== null) throw new Error(`simulator exited ${child.exitCode}`);
  return {
    child,
    events,
    stop: () =>
      new Promise((res) => {
        child.once('exit', (code) => res(code));
        child.kill('SIGTERM');
      }),
  };
}

async function pay(opts: Pick<VtkCardReaderOptions, 'framing' | 'open'>, sim: SimProcess, dir: string): Promise<CardOutcome[]> {
  const outcomes: CardOutcome[] = [];
  const card = new VtkCardReader({ ...opts, ...FAST, journalPath: join(dir, 'vtk-ops.json') });
  card.onOutcome(async (o) => void outcomes.push(o));
  await card.start();
  try {
    await waitFor('terminal answering', () => card.health().state === 'ok');
    await card.startPayment('p-c1', 1500);
    await waitFor('approval', () => outcomes[0]);
    await waitFor('FIN at the simulator', () => sim.events.find((e) => e.event === 'fin'));
    sim.child.stdin!.write('mode decline\n');
    await waitFor('mode switched', () => sim.events.find((e) => e.event === 'ok' && e.mode === 'decline'));
    await card.startPayment('p-c2', 1500);
    await waitFor('decline', () => outcomes[1]);
  } finally {
    await card.stop();
  }
  return outcomes;
}

t.test('simulator process over a pty pair (socat): approve, then `mode decline` on stdin', async (t) => {
  const dir = tempDir();
  const pty = await ptyPair(dir);
  t.teardown(() => pty.close());
  const sim = await startSim(['--serial', pty.b, '--mode', 'approve', '--auth-ms', '50']);
  const outcomes = await pay({ framing: 'serial', open: () => openSerialLink(pty.a) }, sim, dir);
  t.match(outcomes, [
    { opId: 'p-c1', result: 'approved', amount: 1500 },
    { opId: 'p-c2', result: 'declined' },
  ]);
  t.match(sim.events.find((e) => e.event === 'fin'), { opNumber: 1, finAmount: 1500 });
  t.equal(await sim.stop(), 0, 'SIGTERM ends it cleanly');
});

t.test('simulator process over TCP (--tcp 0 picks a free port)', async (t) => {
  const dir = tempDir();
  const sim = await startSim(['--tcp', '0', '--mode', 'approve', '--auth-ms', '50', '--garble']);
  const port = Number(sim.events.find((e) => e.event === 'ready')!.tcp);
  const outcomes = await pay({ framing: 'tcp', open: () => TcpLink.connect('127.0.0.1', port, 2000) }, sim, dir);
  t.match(outcomes, [{ result: 'approved' }, { result: 'declined' }]);
  t.equal(await sim.stop(), 0);
});

t.test('simulator refuses bad arguments', async (t) => {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--tcp', '1', '--serial', '/x'], { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise((res) => child.once('exit', res));
  t.equal(code, 2);
  t.match(err, /exactly one of --serial PATH and --tcp PORT/);
});
