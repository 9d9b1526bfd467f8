/**
 * The cash inventory lives in the same writes as the sessions (payment/cash-inventory.ts): each
 * money-moving document carries the inventory after it, the newest stamp is the inventory now, and it
 * survives a reopen, an archive and a collection; a collection or refill is refused while money moves.
 */
import t from 'tap';
import { applyEvent, newSession, type Session, type SessionSettings } from '../../../src/payment/session.js';
import { SessionStore, type UnattributedCredit } from '../../../src/services/store/session-store.js';
import { readDatafile } from '../../../src/services/store/session-file-reader.js';
import { ErrorCode } from '../../../src/errors.js';
import { tempDir } from '../../helpers/daemon.js';

const settings: SessionSettings = { terminalId: 'T-1', timeoutMs: 120_000, reportCancelledWithCashKept: false, cardAvailable: false };
const NOW = Date.UTC(2026, 5, 15, 12, 0, 0);

/** A 500 payment with a 1000 bill, 500 change paid as 200+200+100, stored step by step like the engine. */
async function billWithChange(store: SessionStore, id: string, at: number): Promise<Session> {
  let s = newSession({ uid: id, amount: 500, order: [{ id: '1', name: 'bread', count: '1', cost: 500 }] }, id, at, settings).session;
  await store.insert(s);
  let prev = (await store.get(id))!;
  const step = async (e: Parameters<typeof applyEvent>[1]) => {
    s = applyEvent(s, e, at, settings).session;
    prev = await store.save(s, prev.outbox, at);
  };
  await step({ type: 'cash', source: 'bill', value: 1000, device: 'bill', ref: `${id}-b` });
  if (s.state !== 'dispensing') throw new Error(`expected dispensing, got ${s.state}`);
  for (const v of [200, 200, 100]) await step({ type: 'coin-out', value: v });
  await step({ type: 'payout-done', requested: 500, paid: 500 });
  if ((s.state as string) !== 'paid') throw new Error(`expected paid, got ${s.state}`);
  return s;
}

t.test('payments, an unattributed coin, a refill and a collection move the inventory; a reopen reads it back', async (t) => {
  const dir = tempDir();
  let store = await SessionStore.open(dir);
  t.same(store.inventory(), { cassette: {}, box: {}, hoppers: {} }, 'a new store holds nothing');

  await store.recordRefill({ at: NOW, by: 'admin-secret', added: { 100: 50, 200: 40 }, opening: true });
  await billWithChange(store, 's1', NOW + 1);
  t.same(store.inventory(), { cassette: { 1000: 1 }, box: {}, hoppers: { 100: 49, 200: 38 } });

  const u: UnattributedCredit = { _id: 'u-1', kind: 'unattributed', source: 'coin', value: 200, device: 'coin', ref: 'x', at: NOW + 2, reason: 'no session', refunded: 0, rest: 0, done: false };
  await store.addUnattributed(u);
  t.same(store.inventory().box, { 200: 1 }, 'the coin went to the cash box');
  await t.rejects(store.recordCollection({ at: NOW + 3, by: 'login:op', declared: {} }), { code: ErrorCode.CashSessionOpen }, 'refused while a refund is owed');
  await store.saveUnattributed({ ...u, refunded: 200, coins: { 200: 1 }, done: true });
  t.same(store.inventory().hoppers, { 100: 49, 200: 37 }, 'paid back from the 2-rouble hopper');

  store = await SessionStore.open(dir);
  t.same(store.inventory(), { cassette: { 1000: 1 }, box: { 200: 1 }, hoppers: { 100: 49, 200: 37 } }, 'the same after a reopen');
  t.same(readDatafile(dir).ledger.inventory, store.inventory(), 'the file reader (CLI, export) reads the same');

  const rec = await store.recordCollection({ at: NOW + 4, by: 'login:op', declared: { 1000: 1 } });
  t.same(rec.collection?.counted, { cassette: { 1000: 1 }, box: { 200: 1 } });
  t.same(rec.collection?.difference, { 200: -1 }, 'the operator declared one coin less than counted');
  t.same(store.inventory(), { cassette: {}, box: {}, hoppers: { 100: 49, 200: 37 } }, 'cassette and box zeroed, hoppers kept');
  t.same(rec.before.cassette, { 1000: 1 });
  t.same((await store.cashRecords()).map((r) => r.op), ['opening', 'collection']);
});

t.test('an open session refuses a collection and a refill; bad counts are refused and change nothing', async (t) => {
  const dir = tempDir();
  const store = await SessionStore.open(dir);
  const s = newSession({ uid: 'open', amount: 500, order: [] }, 'open', NOW, settings).session;
  await store.insert(s);
  await t.rejects(store.recordCollection({ at: NOW, by: 'x', declared: {} }), { code: ErrorCode.CashSessionOpen });
  await t.rejects(store.recordRefill({ at: NOW, by: 'x', added: { 100: 1 } }), { code: ErrorCode.CashSessionOpen });
  await t.rejects(store.recordRefill({ at: NOW, by: 'x', added: { 100: -1 } }), { code: ErrorCode.CashInvalidCounts });
  await t.rejects(store.recordRefill({ at: NOW, by: 'x', added: { '1.5': 1 } }), { code: ErrorCode.CashInvalidCounts });
  await t.rejects(store.recordRefill({ at: NOW, by: 'x', added: { 300: 1 }, allowed: [100, 200] }), { code: ErrorCode.CashInvalidCounts });
  t.same(await store.cashRecords(), []);
  t.equal(store.ledgerStamp().seq, 0);
});

t.test('the archive keeps the inventory when the documents that carried it leave the live store', async (t) => {
  const dir = tempDir();
  let store = await SessionStore.open(dir);
  await store.recordRefill({ at: NOW - 3 * 86_400_000, by: 'x', added: { 100: 10, 200: 10 } });
  await billWithChange(store, 'old', NOW - 2 * 86_400_000);
  await store.markDelivered(['old'], NOW - 2 * 86_400_000 + 1000);
  const before = store.inventory();
  t.ok((await store.archive(NOW - 86_400_000)) >= 2, 'the session and the refill moved to the journal');
  t.same(await store.cashRecords(), []);
  store = await SessionStore.open(dir);
  t.same(store.inventory(), before, 'the inventory survived the archive and a reopen');
  const days = await store.journal.days();
  const all = (await Promise.all(days.map((d) => store.journal.read<{ _id: string; kind: string }>(d)))).flat();
  t.ok(all.some((d) => d.kind === 'cash'), 'the refill is in the journal');
});
