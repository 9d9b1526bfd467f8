/**
 * The VTK terminal's serial adapter unplugged while the driver runs and plugged back at the same path
 * (src/drivers/late/path-watch.ts, vtk-link-session.ts): the socat pty pair is killed and made again at
 * the same paths. The link goes INACTIVE (VTK 3.5: it ended), the driver reconnects as soon as the path
 * reappears, not at its next backoff try (set far beyond the hang guard here), and a card payment is paid.
 */
import t from 'tap';
import { join } from 'node:path';
import { openPtyPair, type PtyPair } from '../../transports/serial/socat-pair.js';
import { openSerialLink } from '../../../src/drivers/vtk/serial-link.js';
import { VtkCardReader } from '../../../src/drivers/vtk/vtk-card-reader.js';
import { VtkTerminalSim } from '../../../src/drivers/vtk/vtk-terminal-sim.js';
import type { CardOutcome } from '../../../src/drivers/interfaces.js';
import { FAST, LogCollector, tempDir } from './vtk-harness.js';
import { waitFor } from '../../helpers/wait.js';

t.test('serial: unplugged and plugged back at the same path: back at once from the path watch, a card pays', async (t) => {
  const dir = tempDir();
  const at = { a: join(dir, 'ttyUSB-card'), b: join(dir, 'terminal') };
  let pair: PtyPair | null = await openPtyPair('socat', at);
  const sim = new VtkTerminalSim({ framing: 'serial', mode: 'approve', authMs: 100 });
  sim.attach(await openSerialLink(at.b));
  const log = new LogCollector();
  const outcomes: CardOutcome[] = [];
  const card = new VtkCardReader({
    framing: 'serial',
    open: () => openSerialLink(at.a),
    journalPath: join(dir, 'vtk-ops.json'),
    log,
    ...FAST,
    // Far beyond the hang guard of the waits: only the path watch can bring it back in time.
    reconnectMs: 600_000,
    maxReconnectMs: 600_000,
    target: at.a,
    watchPath: at.a,
  });
  card.onOutcome(async (o) => void outcomes.push(o));
  t.teardown(async () => {
    await card.stop();
    await sim.close();
    await pair?.close();
  });
  await card.start();
  await waitFor('terminal answering', () => card.health().state === 'ok');

  await pair.close();
  pair = null;
  const down = await waitFor('the link down', () => (card.health().state !== 'ok' ? card.health() : null));
  t.not(down.state, 'ok', `health while unplugged: ${down.state}`);

  pair = await openPtyPair('socat', at);
  sim.attach(await openSerialLink(at.b));
  await waitFor('terminal answering again', () => card.health().state === 'ok');
  await card.startPayment('su-1', 1500);
  await waitFor('the outcome', () => outcomes.length === 1);
  t.match(outcomes[0], { opId: 'su-1', result: 'approved', amount: 1500 });
  t.equal(sim.charges().length, 1, 'charged once');
});
