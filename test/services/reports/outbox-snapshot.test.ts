/**
 * The outbox snapshot (status page, `paypoint reports`): computed from the live store and, read-only,
 * from the datafile while the store is open; the command line prints it.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatSnapshot, readSessionDocs, snapshotFromDocs } from '../../../src/services/reports/outbox-snapshot.js';
import { SessionStore } from '../../../src/services/store/session-store.js';
import { BIN, tempDir } from '../../helpers/daemon.js';
import { queuePaid } from './outbox-fixtures.js';

async function fixture() {
  const dir = tempDir();
  const store = await SessionStore.open(dir);
  const t0 = Date.now() - 60_000;
  const a = await queuePaid(store, 'a', 1000, undefined, t0);
  const b = await queuePaid(store, 'b', 1000, undefined, t0 + 1000);
  const c = await queuePaid(store, 'c', 1000, undefined, t0 + 2000);
  await store.setOutbox(a._id, { ...a.outbox!, state: 'delivered', deliveredAt: t0 + 5000, attempts: 2, lastErrorClass: 'refused', lastError: 'CURLE_COULDNT_CONNECT', lastAttemptAt: t0 + 4000 });
  await store.setOutbox(b._id, { ...b.outbox!, attempts: 3, refusals: 3, lastErrorClass: 'false', lastError: 'the processing server answered false', lastAttemptAt: t0 + 6000, nextAttemptAt: t0 + 999_999 });
  await store.setOutbox(c._id, { ...c.outbox!, attempts: 1, lastErrorClass: 'timeout', lastError: 'CURLE_OPERATION_TIMEDOUT', lastAttemptAt: t0 + 7000 });
  return { dir, store, t0 };
}

t.test('snapshot: depth, oldest pending, last success, last error by class, refused with reason', async (t) => {
  const { dir, store, t0 } = await fixture();
  const s = snapshotFromDocs(await store.withOutbox(), t0 + 62_000, 'http://x/ws');
  t.equal(s.depth, 2);
  t.equal(s.oldestPendingAt, t0 + 1000);
  t.equal(s.oldestPendingAgeS, 61);
  t.same(s.lastSuccess, { at: t0 + 5000, uid: 'a' });
  t.same(Object.keys(s.lastErrorByClass).sort(), ['false', 'refused', 'timeout']);
  t.same(s.refused.map((p) => [p.uid, p.lastErrorClass, p.lastError]), [['b', 'false', 'the processing server answered false']]);
  t.same(s.pending.map((p) => p.uid), ['b', 'c'], 'oldest first');

  // Read-only from the file while the store is open gives the same picture.
  const fromFile = snapshotFromDocs(readSessionDocs(dir), t0 + 62_000, 'http://x/ws');
  t.same(fromFile, s);
  // A line being appended at this very moment (incomplete) is skipped, not an error.
  appendFileSync(join(dir, 'sessions.db'), '{"_id":"torn","kind":"sess');
  t.same(snapshotFromDocs(readSessionDocs(dir), t0 + 62_000, null).depth, 2);
  t.same(readSessionDocs(join(dir, 'nowhere')), [], 'no datafile: empty outbox');
  t.end();
});

t.test('paypoint reports prints the outbox without the daemon lock (the store is open meanwhile)', async (t) => {
  const { dir } = await fixture();
  const cfg = join(tempDir('paypoint-cfg-'), 'paypoint.toml');
  writeFileSync(cfg, `[processing]\nurl = "https://1c.example/"\npath = "/shop/ws/processing.1cws"\n`);
  const run = (...args: string[]) => spawnSync(process.execPath, [BIN, 'reports', '--data-dir', dir, '--config', cfg, ...args], { encoding: 'utf8', env: { ...process.env, LANG: 'en_GB.UTF-8', LC_ALL: '', LC_MESSAGES: '' } }); // English output (the configuration's default language is ru)
  const sum = run();
  t.equal(sum.status, 0, sum.stderr);
  t.match(sum.stdout, /endpoint: https:\/\/1c\.example\/shop\/ws\/processing\.1cws/);
  t.match(sum.stdout, /pending: 2/);
  t.match(sum.stdout, /refused \(flagged\): 1/);
  t.match(sum.stdout, /last success: \S+ uid a/);
  t.match(sum.stdout, /  timeout: .* uid c: CURLE_OPERATION_TIMEDOUT/);
  const refused = run('--refused');
  t.match(refused.stdout, /^refused: 1\nb\t.*false: the processing server answered false/m);
  t.notMatch(refused.stdout, /^c\t/m);
  t.match(run('--pending').stdout, /^pending: 2\nb\t[^\n]*\nc\t/m);
  const json = JSON.parse(run('--json').stdout);
  t.equal(json.depth, 2);
  t.equal(run('--pending', '--refused').status, 2, 'usage error');
  t.end();
});

t.test('formatSnapshot of an empty outbox with no server configured', async (t) => {
  const text = formatSnapshot(snapshotFromDocs([], Date.now(), null), 'summary');
  t.match(text, /processing\.url not set/);
  t.match(text, /pending: 0/);
  t.end();
});
