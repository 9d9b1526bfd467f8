/**
 * The live store stays small (docs/design.md): archive() moves finished sessions older than the uid
 * memory whose report is delivered (or that have none) into the daily journal, and keeps everything that
 * is still owed something: sessions in progress, undelivered reports, young sessions.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyEvent, newSession, type Session, type SessionSettings } from '../../../src/payment/session.js';
import { journalDay } from '../../../src/services/store/journal.js';
import { SessionStore, type StoredSession, type UnattributedCredit } from '../../../src/services/store/session-store.js';
import { tempDir } from '../../helpers/daemon.js';

const settings: SessionSettings = { terminalId: 'T-1', timeoutMs: 120_000, reportCancelledWithCashKept: false, cardAvailable: false };
const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 15, 12, 0, 0);

let seq = 0;
function started(uid: string, at: number): Session {
  return newSession({ uid, amount: 500, order: [{ id: '1', name: 'bread', count: '1', cost: 500 }] }, `s${++seq}`, at, settings).session;
}
/** Paid in cash, exactly: finished in the same write as the last coin, with its report. */
function paid(s: Session, at: number): Session {
  return applyEvent(s, { type: 'cash', source: 'coin', value: 500, device: 'coin', ref: `r${seq}` }, at, settings).session;
}
function cancelled(s: Session, at: number): Session {
  return applyEvent(s, { type: 'cancel', reason: 'button' }, at, settings).session;
}

async function put(store: SessionStore, s: Session, finished: Session | null, delivered = false): Promise<StoredSession> {
  await store.insert(s);
  if (!finished) return (await store.get(s._id))!;
  let doc = await store.save(finished, null, finished.updatedAt);
  if (delivered && doc.outbox) {
    await store.setOutbox(s._id, { ...doc.outbox, state: 'delivered', deliveredAt: finished.updatedAt + 1000, attempts: 1 });
    doc = (await store.get(s._id))!;
  }
  return doc;
}

t.test('archive moves old finished+delivered sessions to the journal and keeps the rest', async (t) => {
  const dir = tempDir();
  const store = await SessionStore.open(dir);
  const old = NOW - 2 * DAY;
  const cutoff = NOW - DAY;

  const a = started('old-paid-delivered', old);
  await put(store, a, paid(a, old + 10_000), true);
  const b = started('old-cancelled-no-report', old + 1);
  await put(store, b, cancelled(b, old + 20_000));
  const c = started('old-paid-undelivered', old + 2);
  const cDoc = await put(store, c, paid(c, old + 30_000));
  t.equal(cDoc.outbox?.state, 'pending', 'the report was queued in the write that finished the session');
  const d = started('old-still-paying', old + 3);
  await put(store, d, null);
  const e = started('young-paid-delivered', NOW - 1000);
  await put(store, e, paid(e, NOW - 500), true);

  const refundedCoin: UnattributedCredit = { _id: 'u-1', kind: 'unattributed', source: 'coin', value: 100, device: 'coin', ref: 'x', at: old, reason: 'no session', refunded: 100, rest: 0, done: true };
  const owedCoin: UnattributedCredit = { ...refundedCoin, _id: 'u-2', refunded: 0, done: false };
  await store.addUnattributed(refundedCoin);
  await store.addUnattributed(owedCoin);

  const moved = await store.archive(cutoff);
  t.equal(moved, 3, 'two sessions and one settled unattributed credit moved');

  const live = (await store.recent(100)).map((s) => s.uid).sort();
  t.same(live, ['old-paid-undelivered', 'old-still-paying', 'young-paid-delivered'], 'undelivered, unfinished and young sessions stay live');
  t.same((await store.unattributed()).map((u) => u._id), ['u-2'], 'money still owed back stays live');

  const day = journalDay(old);
  const journaled = await store.journal.read<StoredSession>(day);
  t.same(journaled.map((s) => s.uid).sort(), ['old-cancelled-no-report', 'old-paid-delivered'], 'finished sessions land in the day they finished');
  const paidDoc = journaled.find((s) => s.uid === 'old-paid-delivered')!;
  t.equal(paidDoc.state, 'paid');
  t.equal(paidDoc.outbox?.state, 'delivered', 'journaled with its delivery state');
  t.equal(paidDoc.report?.pay_amount, 500);
  t.same((await store.journal.read<UnattributedCredit>(journalDay(cutoff))).map((u) => u._id), ['u-1']);

  t.equal(await store.archive(cutoff), 0, 'a second run moves nothing');

  // The live datafile was compacted: the moved sessions are not even in its text any more.
  const text = readFileSync(join(dir, 'sessions.db'), 'utf8');
  t.notOk(text.includes('old-paid-delivered'), 'compacted after the move');

  // And the state survives a reload.
  const again = await SessionStore.open(dir);
  t.same((await again.recent(100)).map((s) => s.uid).sort(), live);
  t.equal(await again.count(), 4, 'three sessions and the owed coin');
});

t.test('a move repeated after a power cut between the journal append and the removal is harmless', async (t) => {
  const dir = tempDir();
  const store = await SessionStore.open(dir);
  const old = NOW - 3 * DAY;
  const a = started('moved-twice', old);
  const doc = await put(store, a, paid(a, old + 1000), true);
  // The power cut: the journal got the line, the live store still has the session.
  await store.journal.append(journalDay(old + 1000), [doc]);
  t.equal(await store.archive(NOW - DAY), 1);
  const lines = readFileSync(join(dir, 'journal', `${journalDay(old + 1000)}.jsonl`), 'utf8').split('\n').filter(Boolean);
  t.equal(lines.length, 2, 'the line is in the journal twice');
  const read = await store.journal.read<StoredSession>(journalDay(old + 1000));
  t.equal(read.length, 1, 'readers see it once');
  t.equal(read[0].uid, 'moved-twice');
  t.equal(await store.count(), 0);
});

t.test('byUid honours the uid memory; active() lists what must resume after a restart', async (t) => {
  const store = await SessionStore.open(tempDir());
  const a = started('u-memory', NOW - 2 * DAY);
  await put(store, a, cancelled(a, NOW - 2 * DAY + 1));
  const b = started('u-active', NOW - 1000);
  await put(store, b, null);
  t.equal((await store.byUid('u-memory', NOW - DAY)).length, 0, 'older than the memory: not found');
  t.equal((await store.byUid('u-memory', NOW - 3 * DAY)).length, 1);
  t.same((await store.active()).map((s) => s.uid), ['u-active']);
});
