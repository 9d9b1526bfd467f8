/**
 * The VTK card driver against the terminal simulator, over a REAL pty pair (socat) and over TCP on
 * 127.0.0.1: approval and FIN, decline then retry, abort, idempotent retries, keep-alive, garbled frames.
 * The hard case (link drops, timeouts, restarts) is in vtk-hard-case.test.ts.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { memoryLinkPair } from '../../../src/drivers/vtk/memory-link.js';
import { VtkCardReader } from '../../../src/drivers/vtk/vtk-card-reader.js';
import { VtkTerminalSim } from '../../../src/drivers/vtk/vtk-terminal-sim.js';
import { FAST, rig, started, tempDir, TRANSPORTS } from './vtk-harness.js';
import { waitFor } from '../../helpers/wait.js';

for (const transport of TRANSPORTS) {
  t.test(`${transport}: approve -> outcome approved, then FIN with the amount sold (VTK 4.4)`, async (t) => {
    const r = await rig(transport);
    t.teardown(() => r.close());
    const rd = await started(r.reader({ productName: 'Заказ' }));
    const vrps: string[] = [];
    r.sim.on('message', (m) => {
      if (m.name === 'VRP') vrps.push(`${m.opNumber}:${m.amount}:${m.productName}`);
    });
    await rd.card.startPayment('s1-c1', 1500);
    const o = await rd.next();
    t.match(o, { opId: 's1-c1', result: 'approved', amount: 1500 });
    t.equal(o.result === 'approved' && o.ref, '900000000001', 'ref: the RRN from the banking receipt (3.19)');
    const fin = await waitFor('FIN at the terminal', () => r.sim.ops.get(1)?.finAmount !== null && r.sim.ops.get(1));
    t.equal(fin.finAmount, 1500, 'FIN carries the amount sold (3.4)');
    t.same(vrps, ['1:1500:Заказ'], 'one VRP, operation number 1, exact amount, product name');
    t.equal(r.sim.charges().length, 1);
    await waitFor('journal done', () => JSON.parse(readFileSync(r.journalPath, 'utf8')).ops[0]?.state === 'done');
    t.match(JSON.parse(readFileSync(r.journalPath, 'utf8')), { lastOpNumber: 1, ops: [{ opId: 's1-c1', opNumber: 1, state: 'done', result: 'approved', finAmount: 1500 }] });
    t.equal(rd.card.health().state, 'ok');
  });

  t.test(`${transport}: decline, then the customer tries again and is approved (contract 2.3, VTK 4.5)`, async (t) => {
    const r = await rig(transport, { mode: 'decline' });
    t.teardown(() => r.close());
    const rd = await started(r.reader());
    await rd.card.startPayment('s2-c1', 700);
    const d = await rd.next();
    t.match(d, { opId: 's2-c1', result: 'declined', reason: /response code 051/ });
    t.equal(rd.card.health().state, 'ok', 'a decline leaves the reader ready for another try');
    r.sim.mode = 'approve';
    await rd.card.startPayment('s2-c2', 700);
    t.match(await rd.next(), { opId: 's2-c2', result: 'approved', amount: 700 });
    t.equal(rd.card.opNumberOf('s2-c1'), 1);
    t.equal(rd.card.opNumberOf('s2-c2'), 2, 'each offer gets the next operation number (3.3)');
    t.same([...r.sim.ops.values()].map((o) => [o.opNumber, o.state]), [[1, 'declined'], [2, 'approved']]);
    await waitFor('FIN', () => r.sim.ops.get(2)?.finAmount === 700);
    t.equal(r.sim.ops.get(1)!.finAmount, null, 'no FIN after a decline (3.2)');
  });

  t.test(`${transport}: cancel while authorising sends ABR; the outcome is cancelled, nothing charged`, async (t) => {
    const r = await rig(transport, { mode: 'slow', slowMs: 60_000 });
    t.teardown(() => r.close());
    const rd = await started(r.reader());
    let abr = 0;
    r.sim.on('message', (m) => void (m.name === 'ABR' && abr++));
    await rd.card.startPayment('s3-c1', 900);
    await waitFor('VRP at the terminal', () => r.sim.ops.get(1));
    await rd.card.cancel('s3-c1');
    t.match(await rd.next(), { opId: 's3-c1', result: 'cancelled' });
    t.equal(abr, 1);
    t.equal(r.sim.ops.get(1)!.state, 'aborted');
    t.equal(r.sim.charges().length, 0);
  });

  t.test(`${transport}: garbled frames from the terminal are dropped and the payment still goes through`, async (t) => {
    const r = await rig(transport, { garble: true });
    t.teardown(() => r.close());
    const rd = await started(r.reader());
    await rd.card.startPayment('s4-c1', 2500);
    t.match(await rd.next(), { result: 'approved', amount: 2500 });
    await waitFor('FIN', () => r.sim.ops.get(1)?.finAmount === 2500);
    const idle = await waitFor('FIN answered', () => rd.card.health().detail.startsWith('idle') && rd.card.health().detail);
    t.match(idle, /\(\d+ garbled frames dropped\)/);
    t.notOk(rd.log.has(/VRP answer/), 'no corrupt copy was taken for an answer');
  });
}

t.test('keep-alive: IDL every Tk while idle (VTK 3.5, 4.1)', async (t) => {
  const r = await rig('tcp');
  t.teardown(() => r.close());
  const rd = await started(r.reader());
  let idl = 0;
  r.sim.on('message', (m) => void (m.name === 'IDL' && idl++));
  await waitFor('three more IDLs', () => idl >= 3);
  t.equal(rd.card.health().state, 'ok');
  t.pass('keep-alives keep flowing');
});

t.test('a retried startPayment with the same opId sends no second VRP and repeats the outcome', async (t) => {
  const r = await rig('tcp');
  t.teardown(() => r.close());
  const rd = await started(r.reader());
  await rd.card.startPayment('s5-c1', 1000);
  await rd.card.startPayment('s5-c1', 1000);
  t.match(await rd.next(), { opId: 's5-c1', result: 'approved' });
  await waitFor('FIN', () => r.sim.ops.get(1)?.finAmount === 1000);
  await rd.card.startPayment('s5-c1', 1000);
  t.match(await rd.next('the repeated outcome'), { opId: 's5-c1', result: 'approved', amount: 1000 });
  t.equal(r.sim.ops.size, 1);
  t.equal(r.sim.ops.get(1)!.vrpCount, 1);
  t.equal(r.sim.charges().length, 1);
});

t.test('the engine cannot store the approval: FIN 0, the terminal reverses the charge (VTK 3.4)', async (t) => {
  const r = await rig('tcp');
  t.teardown(() => r.close());
  let calls = 0;
  const rd = await started(
    r.reader({
      handler: async () => {
        calls++;
        throw new Error('disk full');
      },
    }),
  );
  await rd.card.startPayment('s6-c1', 1200);
  const op = await waitFor('FIN at the terminal', () => r.sim.ops.get(1)?.finAmount !== null && r.sim.ops.get(1));
  t.equal(op.finAmount, 0);
  t.equal(calls, 1);
  t.equal(r.sim.charges().length, 0, 'nothing kept that the kiosk did not record');
  await waitFor('journal', () => JSON.parse(readFileSync(r.journalPath, 'utf8')).ops[0]?.state === 'done');
  t.match(JSON.parse(readFileSync(r.journalPath, 'utf8')).ops[0], { result: 'reversed', finAmount: 0 });
});

t.test('the terminal approves a different amount: reversed with FIN 0, reported as declined', async (t) => {
  const r = await rig('tcp');
  t.teardown(() => r.close());
  const rd = await started(r.reader());
  // A terminal configured with a maximal amount (STA, 3.4) could approve less than asked.
  r.sim.on('message', (m) => {
    if (m.name === 'VRP' && m.opNumber !== undefined) queueMicrotask(() => void (r.sim.ops.get(m.opNumber!)!.amount = 500));
  });
  await rd.card.startPayment('s7-c1', 1000);
  t.match(await rd.next(), { opId: 's7-c1', result: 'declined', reason: /approved 500 instead of 1000/ });
  await waitFor('FIN 0', () => r.sim.ops.get(1)?.finAmount === 0);
  t.equal(r.sim.charges().length, 0);
});

t.test('the terminal is not answering: the offer is declined at once and nothing is journaled', async (t) => {
  const r = await rig('tcp', { mode: 'silent' });
  t.teardown(() => r.close());
  const rd = r.reader();
  await rd.card.start();
  t.equal(rd.card.health().state, 'offline');
  await rd.card.startPayment('s8-c1', 1000);
  t.match(await rd.next(), { opId: 's8-c1', result: 'declined', reason: 'card terminal offline' });
  t.equal(rd.card.opNumberOf('s8-c1'), null);
  t.equal(await rd.card.recover('s8-c1'), 'cancelled', 'never journaled = never sent');
});

t.test('the terminal answers CON with "no service" so it uses its own network (VTK 3.11)', async (t) => {
  const r = await rig('tcp');
  t.teardown(() => r.close());
  const rd = await started(r.reader());
  const got = new Promise<Buffer | undefined>((res) => r.sim.on('message', (m) => m.name === 'CON' && res(m.tcpDestination)));
  // The simulator has no CON of its own; send one as a terminal would.
  await (r.sim as unknown as { answer(m: object): Promise<void> }).answer({ name: 'CON', tcpDestination: Buffer.from([0, 10, 0, 0, 1, 0x1f, 0x90, 2, 0, 0]) });
  const dest = await got;
  t.same(dest, Buffer.from([0, 10, 0, 0, 1, 0x1f, 0x90, 0]));
  t.equal(rd.card.health().state, 'ok');
});

t.test('in-process wiring (memory link) with the simulator in manual mode: the customer decides', async (t) => {
  const sim = new VtkTerminalSim({ framing: 'tcp', mode: 'manual' });
  const card = new VtkCardReader({
    framing: 'tcp',
    // What the daemon's simulated VTK card reader would do: a fresh pair per (re)connection.
    open: async () => {
      const [vmc, pos] = memoryLinkPair();
      sim.attach(pos);
      return vmc;
    },
    journalPath: `${tempDir()}/vtk-ops.json`,
    ...FAST,
  });
  const outcomes: unknown[] = [];
  card.onOutcome(async (o) => void outcomes.push(o));
  t.teardown(async () => {
    await card.stop();
    await sim.close();
  });
  await card.start();
  await waitFor('terminal answering', () => card.health().state === 'ok');
  t.equal(sim.decide('approve'), null, 'nothing to decide before an offer');
  await card.startPayment('m-c1', 300);
  await waitFor('VRP at the terminal', () => sim.ops.get(1));
  t.equal(sim.decide('decline')?.state, 'declined');
  await waitFor('decline', () => outcomes[0]);
  await card.startPayment('m-c2', 300);
  await waitFor('VRP at the terminal', () => sim.ops.get(2));
  sim.decide('approve');
  await waitFor('approval', () => outcomes[1]);
  t.match(outcomes, [{ opId: 'm-c1', result: 'declined' }, { opId: 'm-c2', result: 'approved', amount: 300 }]);
  await waitFor('FIN', () => sim.ops.get(2)?.finAmount === 300);
});
