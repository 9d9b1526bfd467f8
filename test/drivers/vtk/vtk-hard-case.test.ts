/**
 * The hard case (src/drivers/vtk/vtk-recovery.ts): the link drops, the operation times out, or the daemon restarts while the
 * terminal is authorising. The card may have been charged, so nothing is decided on a guess: the driver
 * learns the outcome from the terminal (VTK 3.3: the current operation number in IDL answers, and a
 * repeated VRP answered with the previous result), reports 'unknown' until then, and never charges twice.
 * Over a REAL pty pair (socat) and TCP on 127.0.0.1.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { VtkOpJournal } from '../../../src/drivers/vtk/vtk-op-journal.js';
import { rig, started, TRANSPORTS } from './vtk-harness.js';
import { waitFor } from '../../helpers/wait.js';

const journalOf = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as { lastOpNumber: number; ops: Array<Record<string, unknown>> };

for (const transport of TRANSPORTS) {
  for (const outcome of ['approve', 'decline'] as const) {
    t.test(`${transport}: link drops mid-authorisation, terminal ${outcome}s meanwhile: outcome learned after reconnecting`, async (t) => {
      const r = await rig(transport, { mode: 'drop', outcome, authMs: 200, dropForMs: 800 });
      t.teardown(() => r.close());
      const rd = await started(r.reader());
      await rd.card.startPayment('h1-c1', 1500);
      await waitFor('the drop', () => rd.card.health().state === 'degraded');
      t.match(rd.card.health().detail, /outcome unknown/);
      const o = await rd.next();
      if (outcome === 'approve') {
        t.match(o, { opId: 'h1-c1', result: 'approved', amount: 1500 });
        await waitFor('FIN', () => r.sim.ops.get(1)?.finAmount === 1500);
        t.equal(r.sim.charges().length, 1, 'charged once');
      } else {
        t.match(o, { opId: 'h1-c1', result: 'declined' });
        t.equal(r.sim.charges().length, 0);
      }
      t.ok(r.sim.ops.get(1)!.vrpCount >= 2, 'learned through a repeated VRP with the same number (3.3)');
      t.equal(r.sim.ops.size, 1, 'no second operation at the terminal');
      t.ok(rd.log.has(/link inactive/));
      t.equal(rd.outcomes.length, 1, 'one outcome');
      await waitFor('ready again', () => rd.card.health().state === 'ok');
    });
  }
}

t.test('operation timeout, and the terminal never got the VRP: unknown until it answers, then cancelled', async (t) => {
  const r = await rig('serial', { mode: 'approve' });
  t.teardown(() => r.close());
  const rd = await started(r.reader({ opTimeoutMs: 600, recoverWaitMs: 300 }));
  r.sim.mode = 'silent';
  await rd.card.startPayment('h2-c1', 800);
  await waitFor('operation timeout', () => rd.card.health().state === 'degraded');
  t.ok(rd.log.has(/link inactive/));
  t.equal(await rd.card.recover('h2-c1'), 'unknown', 'the terminal does not answer: unknown, not a guess');
  t.equal(rd.outcomes.length, 0);
  r.sim.mode = 'approve';
  t.match(await rd.next(), { opId: 'h2-c1', result: 'cancelled' }, 'its operation number is below ours: never arrived (3.3)');
  t.equal(r.sim.ops.size, 0);
  t.equal(r.sim.charges().length, 0);
});

t.test('a terminal slower than the operation timeout: the repeated VRP gets the approval, charged once', async (t) => {
  const r = await rig('tcp', { mode: 'slow', slowMs: 2_500 });
  t.teardown(() => r.close());
  const rd = await started(r.reader({ opTimeoutMs: 700 }));
  await rd.card.startPayment('h3-c1', 4200);
  t.match(await rd.next(), { opId: 'h3-c1', result: 'approved', amount: 4200 });
  t.ok(r.sim.ops.get(1)!.vrpCount >= 2, 'the first wait timed out (3.6) and the VRP was repeated');
  await waitFor('FIN', () => r.sim.ops.get(1)?.finAmount === 4200);
  t.equal(r.sim.charges().length, 1);
});

t.test("the terminal's own operation timeout (tag 06) is honoured (VTK 3.6)", async (t) => {
  const r = await rig('tcp', { mode: 'slow', slowMs: 2_500, opTimeoutS: 1 });
  t.teardown(() => r.close());
  const rd = await started(r.reader({ opTimeoutMs: 60_000 }));
  await rd.card.startPayment('h4-c1', 100);
  t.match(await rd.next(), { result: 'approved' });
  t.ok(r.sim.ops.get(1)!.vrpCount >= 2, 'timed out after the 1 s the terminal asked for, not the 60 s default');
});

for (const transport of TRANSPORTS) {
  for (const outcome of ['approve', 'decline'] as const) {
    t.test(`${transport}: daemon restarts while the terminal is authorising (${outcome}): unknown, then delivered`, async (t) => {
      const r = await rig(transport, { mode: 'slow', slowMs: 4_000, outcome });
      t.teardown(() => r.close());
      const first = await started(r.reader());
      await first.card.startPayment('h5-c1', 1500);
      await waitFor('VRP at the terminal', () => r.sim.ops.get(1));
      await first.card.stop(); // the daemon goes away; the engine had persisted h5-c1
      const second = r.reader({ recoverWaitMs: 300 });
      await second.card.start();
      t.equal(await second.card.recover('h5-c1'), 'unknown', 'still authorising: the engine keeps PayPoll at 1');
      t.match(second.card.health(), { state: 'degraded' });
      const o = await second.next();
      if (outcome === 'approve') {
        t.match(o, { opId: 'h5-c1', result: 'approved', amount: 1500 });
        await waitFor('FIN', () => r.sim.ops.get(1)?.finAmount === 1500);
        t.equal(r.sim.charges().length, 1);
      } else {
        t.match(o, { opId: 'h5-c1', result: 'declined' });
        t.equal(r.sim.charges().length, 0);
      }
      t.equal(first.outcomes.length + second.outcomes.length, 1, 'one outcome in all');
      t.equal(r.sim.ops.size, 1);
    });
  }
}

t.test('restart after the terminal decided: recover answers at once; an approval also comes through onOutcome', async (t) => {
  const r = await rig('serial', { authMs: 300 });
  t.teardown(() => r.close());
  const first = await started(r.reader());
  await first.card.startPayment('h6-c1', 990);
  await waitFor('VRP at the terminal', () => r.sim.ops.get(1));
  await first.card.stop(); // gone before the answer
  await waitFor('terminal decided', () => r.sim.ops.get(1)?.state === 'approved');
  const second = r.reader();
  await second.card.start();
  t.equal(await second.card.recover('h6-c1'), 'approved');
  t.match(await second.next(), { opId: 'h6-c1', result: 'approved', amount: 990 }, 'the engine expects the approval through onOutcome');
  await waitFor('FIN', () => r.sim.ops.get(1)?.finAmount === 990);
  t.equal(first.outcomes.length, 0);
  t.equal(r.sim.charges().length, 1);
});

t.test('restart after a decline: recover answers declined, and the engine is not told twice', async (t) => {
  const r = await rig('tcp', { mode: 'decline', authMs: 300 });
  t.teardown(() => r.close());
  const first = await started(r.reader());
  await first.card.startPayment('h7-c1', 990);
  await waitFor('VRP at the terminal', () => r.sim.ops.get(1));
  await first.card.stop();
  await waitFor('terminal decided', () => r.sim.ops.get(1)?.state === 'declined');
  const second = r.reader();
  await second.card.start();
  t.equal(await second.card.recover('h7-c1'), 'declined');
  t.match(journalOf(r.journalPath).ops.find((o) => o.opId === 'h7-c1'), { state: 'done', result: 'declined' });
  t.equal(second.outcomes.length, 0, 'the engine applies what recover() returned itself');
});

t.test('restart, the VRP never reached the terminal: cancelled (nothing was charged)', async (t) => {
  const r = await rig('tcp');
  t.teardown(() => r.close());
  const first = await started(r.reader());
  r.sim.mode = 'silent';
  await first.card.startPayment('h8-c1', 500);
  await first.card.stop();
  r.sim.mode = 'approve';
  const second = r.reader();
  await second.card.start();
  t.equal(await second.card.recover('h8-c1'), 'cancelled');
  t.equal(await second.card.recover('never-offered'), 'cancelled', 'an opId never journaled was never sent');
  t.equal(r.sim.ops.size, 0);
});

t.test('approval stored by the engine but the FIN not sent before the restart: FIN sent from the journal', async (t) => {
  const r = await rig('tcp');
  t.teardown(() => r.close());
  // The terminal approved operation 7 and still waits for its FIN; the kiosk journal says "requested"
  // (the crash came after the engine stored the approval, before the journal said so).
  r.sim.ops.set(7, { opNumber: 7, amount: 1500, state: 'approved', finAmount: null, vrpCount: 1 });
  r.sim.opNumber = 7;
  const j = await VtkOpJournal.open(r.journalPath);
  await j.put({ opId: 'h9-c1', opNumber: 7, amount: 1500, state: 'requested', at: 1 });
  await j.put({ opId: 'h9-old', opNumber: 6, amount: 300, state: 'finishing', finAmount: 300, result: 'approved', at: 1 });
  r.sim.ops.set(6, { opNumber: 6, amount: 300, state: 'approved', finAmount: null, vrpCount: 1 });
  const rd = r.reader({ orphanGraceMs: 300 });
  await rd.card.start();
  await waitFor('FIN of the finishing one', () => r.sim.ops.get(6)?.finAmount === 300);
  await waitFor('FIN of the orphan', () => r.sim.ops.get(7)?.finAmount === 1500);
  t.equal(rd.outcomes.length, 0, 'no session waits for it: the engine is not told again');
  await waitFor('journal', () => journalOf(r.journalPath).ops.every((o) => o.state === 'done'));
  t.match(journalOf(r.journalPath).ops.find((o) => o.opId === 'h9-c1'), { result: 'approved', finAmount: 1500 });
  t.equal(r.sim.charges().length, 2);
});

t.test('a new offer settles unclaimed operations first, then takes the next operation number', async (t) => {
  const r = await rig('tcp');
  t.teardown(() => r.close());
  r.sim.ops.set(7, { opNumber: 7, amount: 1500, state: 'approved', finAmount: null, vrpCount: 1 });
  r.sim.opNumber = 7;
  const j = await VtkOpJournal.open(r.journalPath);
  await j.put({ opId: 'h10-old', opNumber: 7, amount: 1500, state: 'requested', at: 1 });
  const rd = await started(r.reader({ orphanGraceMs: 60_000 }));
  await rd.card.startPayment('h10-new', 200);
  t.match(await rd.next(), { opId: 'h10-new', result: 'approved', amount: 200 });
  t.equal(r.sim.ops.get(7)!.finAmount, 1500, 'the old one was finished before the new VRP');
  t.equal(rd.card.opNumberOf('h10-new'), 8);
});

t.test('the terminal moved past our operation: unknown for good, fault, settled by hand', async (t) => {
  const r = await rig('tcp');
  t.teardown(() => r.close());
  r.sim.opNumber = 6; // someone else's operation 6 came after ours
  const j = await VtkOpJournal.open(r.journalPath);
  await j.put({ opId: 'h11-c1', opNumber: 5, amount: 1500, state: 'requested', at: 1 });
  const rd = r.reader({ recoverWaitMs: 3_000 });
  await rd.card.start();
  t.equal(await rd.card.recover('h11-c1'), 'unknown');
  t.match(rd.card.health(), { state: 'fault', detail: /settle by hand/ });
  t.equal(r.sim.ops.size, 0, 'no VRP was repeated: it would start a new charge');
  await rd.card.settleByHand('h11-c1', 'approved', 'bank statement 2024-05-01');
  t.match(await rd.next(), { opId: 'h11-c1', result: 'approved', amount: 1500, ref: 'bank statement 2024-05-01' });
  await waitFor('healthy', () => rd.card.health().state === 'ok');
  t.match(journalOf(r.journalPath).ops[0], { state: 'done', result: 'settled-by-hand' });
});
