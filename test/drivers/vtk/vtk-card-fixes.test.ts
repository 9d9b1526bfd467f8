/**
 * Card money cases against the VTK terminal simulator over a REAL pty pair (socat) and TCP:
 *  - an approval that arrives after the offer was withdrawn (ABR sent, the terminal approves anyway,
 *    4.4) is finalised as vending failure, FIN with amount 0 (3.4), so the bank reverses it; the record
 *    is kept in the journal and shown in health; also after a restart ("kill") at each step;
 *  - operation numbers wrap from 99 999 999 to 1 (3.1: 8 digits; 3.3), and recovery reads the order
 *    across the wrap.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import type { VtkMessage } from '../../../src/codecs/vtk/message.js';
import { VtkOpJournal } from '../../../src/drivers/vtk/vtk-op-journal.js';
import { rig, started, TRANSPORTS } from './vtk-harness.js';
import { waitFor } from '../../helpers/wait.js';

const journalOf = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as { lastOpNumber: number; ops: Array<Record<string, unknown>> };

for (const transport of TRANSPORTS) {
  t.test(`${transport}: an approval after the offer was withdrawn goes out as FIN 0 on the wire; nothing charged; record kept`, async (t) => {
    const r = await rig(transport, { mode: 'slow', slowMs: 600, lateApproval: true });
    t.teardown(() => r.close());
    const rd = await started(r.reader());
    const wire: VtkMessage[] = [];
    r.sim.on('message', (m) => void ((m.name === 'FIN' || m.name === 'ABR') && wire.push(m)));
    await rd.card.startPayment('l1-c1', 1500);
    await waitFor('VRP at the terminal', () => r.sim.ops.get(1));
    await rd.card.cancel('l1-c1'); // cash came first, or the customer cancelled
    t.match(journalOf(r.journalPath).ops[0], { opId: 'l1-c1', state: 'requested', withdrawn: true }, 'the withdrawal is durable before the ABR');
    t.match(await rd.next(), { opId: 'l1-c1', result: 'cancelled' }, 'the engine is told cancelled, not approved');
    const op = await waitFor('FIN at the terminal', () => r.sim.ops.get(1)?.finAmount !== null && r.sim.ops.get(1));
    t.equal(op.state, 'approved', 'the terminal did approve it late');
    t.equal(op.finAmount, 0, 'FIN 0: vending failure, the bank reverses it (3.4)');
    t.match(wire.map((m) => `${m.name}:${m.opNumber ?? ''}:${m.amount ?? ''}`), ['ABR::', 'FIN:1:0'], 'ABR then FIN 0 for operation 1 crossed the link');
    t.equal(r.sim.charges().length, 0, 'nothing charged');
    await waitFor('journal done', () => journalOf(r.journalPath).ops[0]?.state === 'done');
    t.match(journalOf(r.journalPath).ops[0], { state: 'done', result: 'late-reversed', finAmount: 0, lateAmount: 1500, ref: '900000000001' });
    t.match(rd.card.lateReversed(), [{ opId: 'l1-c1', opNumber: 1, amount: 1500, ref: '900000000001' }]);
    t.match(rd.card.health(), { state: 'ok', detail: /approval of 1500 for withdrawn operation 1 \(l1-c1\) reversed with FIN 0/ });
    t.ok(rd.log.has(/after the offer was withdrawn; finalising as vending failure/));
  });
}

t.test('kill after the withdrawal was journaled, the approval comes while the daemon is down: FIN 0 after the restart', async (t) => {
  const r = await rig('serial', { mode: 'slow', slowMs: 400, lateApproval: true });
  t.teardown(() => r.close());
  const first = await started(r.reader());
  await first.card.startPayment('l2-c1', 700);
  await waitFor('VRP at the terminal', () => r.sim.ops.get(1));
  await first.card.cancel('l2-c1');
  await first.card.stop(); // gone before the VRP answer
  await waitFor('terminal approved', () => r.sim.ops.get(1)?.state === 'approved');
  const second = r.reader();
  await second.card.start();
  t.equal(await second.card.recover('l2-c1'), 'cancelled', 'the withdrawn offer is reported cancelled');
  await waitFor('FIN 0', () => r.sim.ops.get(1)?.finAmount === 0);
  t.equal(r.sim.charges().length, 0);
  await waitFor('journal done', () => journalOf(r.journalPath).ops[0]?.state === 'done');
  t.match(journalOf(r.journalPath).ops[0], { result: 'late-reversed', finAmount: 0 });
  t.equal(first.outcomes.length + second.outcomes.length, 0, 'the engine applies what recover() returned');
});

// The journal as a kill left it at each later step; the terminal approved operation 3 and waits.
const steps = [
  { name: 'the approval learned, FIN 0 owed (journal: finishing)', rec: { state: 'finishing', finAmount: 0, result: 'late-reversed', lateAmount: 900, withdrawn: true } },
  { name: 'FIN 0 sent, its answer not journaled (journal: finishing; the terminal repeats, 3.3)', rec: { state: 'finishing', finAmount: 0, result: 'late-reversed', lateAmount: 900, withdrawn: true }, finAlready: true },
  { name: 'withdrawal journaled, nothing else (journal: requested, withdrawn)', rec: { state: 'requested', withdrawn: true } },
] as const;
for (const step of steps) {
  t.test(`kill at: ${step.name} -> FIN 0 after the restart, nothing charged`, async (t) => {
    const r = await rig('serial');
    t.teardown(() => r.close());
    r.sim.ops.set(3, { opNumber: 3, amount: 900, state: 'approved', finAmount: 'finAlready' in step ? 0 : null, vrpCount: 1 });
    r.sim.opNumber = 3;
    const j = await VtkOpJournal.open(r.journalPath);
    await j.put({ opId: 'l3-c1', opNumber: 3, amount: 900, at: 1, ...step.rec });
    const rd = r.reader({ orphanGraceMs: 300 });
    await rd.card.start();
    await waitFor('journal done', () => journalOf(r.journalPath).ops[0]?.state === 'done');
    t.match(journalOf(r.journalPath).ops[0], { opId: 'l3-c1', result: 'late-reversed', finAmount: 0 });
    t.equal(r.sim.ops.get(3)!.finAmount, 0);
    t.equal(r.sim.charges().length, 0);
    t.equal(rd.outcomes.length, 0, 'no session waits for it');
    t.equal(rd.card.lateReversed().length, 1);
  });
}

t.test('operation numbers wrap: 99 999 999, then 1, then 2; each approved and finalised once', async (t) => {
  const r = await rig('serial', { opNumber: 99_999_998 });
  t.teardown(() => r.close());
  const rd = await started(r.reader());
  for (const [i, opId] of ['w1', 'w2', 'w3'].entries()) {
    await rd.card.startPayment(opId, 100 + i);
    t.match(await rd.next(), { opId, result: 'approved', amount: 100 + i });
  }
  t.same([rd.card.opNumberOf('w1'), rd.card.opNumberOf('w2'), rd.card.opNumberOf('w3')], [99_999_999, 1, 2]);
  await waitFor('FINs', () => r.sim.ops.get(2)?.finAmount === 102);
  t.same([...r.sim.ops.values()].map((o) => [o.opNumber, o.finAmount]), [[99_999_999, 100], [1, 101], [2, 102]]);
  t.equal(journalOf(r.journalPath).lastOpNumber, 2, 'the journal keeps the newest number, not the largest');
});

t.test('after the wrap, a restart where VRP 1 never reached the terminal (it still says 99 999 999): cancelled, not stuck', async (t) => {
  const r = await rig('tcp', { opNumber: 99_999_999 });
  t.teardown(() => r.close());
  const j = await VtkOpJournal.open(r.journalPath);
  await j.put({ opId: 'w9-old', opNumber: 99_999_999, amount: 300, state: 'done', result: 'approved', finAmount: 300, at: 1 });
  await j.put({ opId: 'w9-c1', opNumber: 1, amount: 500, state: 'requested', at: 2 });
  const rd = r.reader();
  await rd.card.start();
  t.equal(await rd.card.recover('w9-c1'), 'cancelled', 'the terminal number is older than ours across the wrap (3.3)');
  await waitFor('ready', () => rd.card.health().state === 'ok');
  await rd.card.startPayment('w9-c2', 500);
  t.match(await rd.next(), { opId: 'w9-c2', result: 'approved' });
  t.equal(rd.card.opNumberOf('w9-c2'), 2, 'the next number after 1');
});

t.test('kill after the engine stored the withdrawal, before the card module heard it: withdrawn at start, FIN 0', async (t) => {
  const r = await rig('tcp');
  t.teardown(() => r.close());
  // The terminal approved operation 4 while the daemon was down; the journal says only "requested".
  r.sim.ops.set(4, { opNumber: 4, amount: 1200, state: 'approved', finAmount: null, vrpCount: 1 });
  r.sim.opNumber = 4;
  const j = await VtkOpJournal.open(r.journalPath);
  await j.put({ opId: 'l4-c1', opNumber: 4, amount: 1200, state: 'requested', at: 1 });
  const rd = r.reader();
  await rd.card.start();
  // What the engine does at start for a session whose stored state had withdrawn the offer.
  await rd.card.cancel('l4-c1');
  t.match(journalOf(r.journalPath).ops[0], { opId: 'l4-c1', withdrawn: true });
  t.equal(await rd.card.recover('l4-c1'), 'cancelled');
  await waitFor('FIN 0', () => r.sim.ops.get(4)?.finAmount === 0);
  await waitFor('journal done', () => journalOf(r.journalPath).ops[0]?.state === 'done');
  t.match(journalOf(r.journalPath).ops[0], { result: 'late-reversed', finAmount: 0, lateAmount: 1200 });
  t.equal(r.sim.charges().length, 0);
});
