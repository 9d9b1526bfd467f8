/**
 * The payment engine with the real VTK driver and the terminal simulator (TCP on 127.0.0.1): the power
 * went after the engine stored a session that withdrew the card offer (cash taken, contract 2.2) and
 * before the card module journaled the withdrawal; the terminal approved meanwhile. At start the engine
 * withdraws the offer again before asking for its outcome, so the approval is finalised as vending
 * failure (VTK 1.12 3.4, FIN 0) and the session goes on with its cash.
 * The state the power cut leaves is written with the modules that write it (session machine + store,
 * the driver's journal), as the crash left it.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { SimCancelButton } from '../../../src/drivers/sim/sim-cancel-button.js';
import { SimCashAcceptor } from '../../../src/drivers/sim/sim-cash-acceptor.js';
import { SimDispenser } from '../../../src/drivers/sim/sim-dispenser.js';
import { VtkOpJournal } from '../../../src/drivers/vtk/vtk-op-journal.js';
import { applyEvent, newSession } from '../../../src/payment/session.js';
import { silentLogger } from '../../../src/services/log.js';
import { PaymentEngine } from '../../../src/services/payment/payment-engine.js';
import { SessionStore } from '../../../src/services/store/session-store.js';
import { rig } from '../../drivers/vtk/vtk-harness.js';
import { waitFor } from '../../helpers/wait.js';

const settings = { terminalId: 'T', timeoutMs: 120_000, reportCancelledWithCashKept: false, cardAvailable: true };

t.test('regression: a withdrawal the card module never heard before the power cut; the late approval is reversed at start', async (t) => {
  const r = await rig('tcp');
  t.teardown(() => r.close());
  const now = Date.now();
  const order = [{ id: '1', name: 'n', count: '1', cost: 2500 }];
  let s = newSession({ uid: 'wd-1', amount: 2500, order }, 'sess-wd', now, settings).session;
  s = applyEvent(s, { type: 'card-offered', opId: 'sess-wd-c1' }, now, settings).session;
  s = applyEvent(s, { type: 'cash', source: 'coin', value: 1000, device: 'coin', ref: 'c1' }, now, settings).session;
  const store = await SessionStore.open(r.dir);
  await store.insert(s);
  const j = await VtkOpJournal.open(r.journalPath);
  await j.put({ opId: 'sess-wd-c1', opNumber: 1, amount: 2500, state: 'requested', at: now });
  r.sim.ops.set(1, { opNumber: 1, amount: 2500, state: 'approved', finAmount: null, vrpCount: 1 });
  r.sim.opNumber = 1;

  const card = r.reader().card;
  const coin = new SimCashAcceptor('coin', 'coin', [100, 500, 1000]);
  const hoppers = new SimDispenser('hoppers', [1000, 500, 100], [10, 10, 10]);
  const cancel = new SimCancelButton();
  for (const d of [coin, hoppers, cancel, card]) await d.start();
  const engine = new PaymentEngine({
    store,
    devices: { acceptors: [coin], dispenser: hoppers, card, cancelButton: cancel },
    settings,
    enabled: true,
    maxAmount: 1_000_000,
    uidMemoryMs: 24 * 3_600_000,
    log: silentLogger(),
    tickMs: 10,
  });
  t.teardown(() => engine.stop());
  await engine.start();
  await waitFor('FIN at the terminal', () => r.sim.ops.get(1)?.finAmount !== null);
  t.equal(r.sim.ops.get(1)!.finAmount, 0, 'FIN 0: the bank reverses the late approval (3.4)');
  t.equal(r.sim.charges().length, 0);
  await waitFor('journal done', () => (JSON.parse(readFileSync(r.journalPath, 'utf8')) as { ops: Array<{ state: string }> }).ops[0]?.state === 'done');
  t.match(JSON.parse(readFileSync(r.journalPath, 'utf8')).ops[0], { result: 'late-reversed', withdrawn: true, lateAmount: 2500 });
  t.equal(await engine.poll('wd-1'), 1, 'the session goes on with its cash');
  t.match(engine.currentSession(), { credited: 1000, card: { opId: null } });
  await coin.insert(1000);
  await coin.insert(500);
  await waitFor('paid', () => engine.currentSession() === null);
  t.equal(await engine.poll('wd-1'), 0);
  const [done] = await store.byUid('wd-1', 0);
  t.same([done.report?.pay_type, done.credits.some((c) => c.source === 'card')], [0, false], 'paid in cash, no card credit');
});
