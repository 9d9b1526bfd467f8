import t from 'tap';
import { loadBoardProfile } from '../../../src/drivers/board/profile.js';
import { buildBoard } from '../../../src/drivers/board/build.js';
import { CcnetValidatorSim } from '../../../src/drivers/ccnet/ccnet-sim.js';
import type { CashCredit } from '../../../src/drivers/interfaces.js';
import type { Edge } from '../../../src/transports/gpio/line.js';
import { waitFor } from '../../helpers/wait.js';

const REFERENCE = new URL('../../../board/profiles/reference-pi4.json', import.meta.url).pathname;

t.test('the reference profile, fully simulated: coins, a CCNET bill, change from the hoppers, the cancel button', async (t) => {
  const profile = await loadBoardProfile(REFERENCE);
  const saved: Array<Record<number, number>> = [];
  const board = await buildBoard(profile, { simulated: true, hopperLevels: { 100: 20, 200: 20, 500: 20, 1000: 20 }, onHopperLevels: (l) => saved.push(l) });
  await board.startSims();
  const credits: Array<CashCredit & { kind: string }> = [];
  for (const a of board.acceptors) {
    a.onCredit(async (c) => {
      credits.push({ ...c, kind: a.kind });
    });
    await a.start();
  }
  await board.dispenser!.start();
  t.teardown(async () => {
    for (const a of board.acceptors) await a.stop();
    await board.dispenser!.stop();
    await board.close();
  });
  t.same(board.acceptors.map((a) => a.kind), ['coin', 'bill']);
  const sims = board.sims!;

  // Inhibited until the domain opens the acceptors.
  t.equal(await sims.coin!.insert(500), 'refused');
  await waitFor('bill validator ready', () => board.acceptors[1].health().state === 'ok');
  for (const a of board.acceptors) await a.setEnabled(true);

  t.equal(await sims.coin!.insert(500), 'inserted');
  t.equal(await sims.coin!.insert(200), 'inserted');
  const billSim = sims.bill as CcnetValidatorSim;
  await waitFor('validator open', () => billSim.status().kind === 'idling');
  t.equal(billSim.insertBill(2), 'inserted');
  await waitFor('three credits', () => credits.length === 3);
  t.same(credits.map((c) => [c.kind, c.value]).sort(), [['bill', 10000], ['coin', 200], ['coin', 500]]);

  // Change: 17 RUB from the hoppers, coin by coin.
  const coins: number[] = [];
  const r = await board.dispenser!.dispense(1700, async (v) => {
    coins.push(v);
  });
  t.same(r, { paid: 1700, rest: 0 });
  t.same(coins.sort((a, b) => b - a), [1000, 500, 200]);
  t.same(board.dispenser!.levels(), { 100: 20, 200: 19, 500: 19, 1000: 19 });
  t.same(saved.at(-1), board.dispenser!.levels());
  t.same([...sims.hoppers.values()].map((h) => h.dropped), [0, 1, 1, 1]);

  // The cancel button through its line.
  const presses: Edge[] = [];
  board.cancelButton!.onEdge((e) => presses.push(e));
  sims.cancelWire!.set(sims.cancelActiveLevel);
  t.same(presses.map((e) => e.level), [1]);
});

t.test('a hopper running empty in the simulated board leaves a rest amount', async (t) => {
  const profile = await loadBoardProfile(REFERENCE);
  const board = await buildBoard({ ...profile, coinAcceptor: null, billValidator: null, cancelButton: null }, { simulated: true, hopperLevels: { 100: 3, 200: 0, 500: 0, 1000: 0 } });
  await board.dispenser!.start();
  t.teardown(async () => {
    await board.dispenser!.stop();
    await board.close();
  });
  const r = await board.dispenser!.dispense(500, async () => {});
  t.same(r, { paid: 300, rest: 200 });
  t.equal(board.dispenser!.health().state, 'fault');
});
