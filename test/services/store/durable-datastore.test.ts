/**
 * A failed append on a really full disk: a tiny tmpfs is mounted and filled, so the kernel answers ENOSPC
 * (nothing simulated). docs/design.md, "nedb-promises": nedb changes memory before it appends, so a failed append leaves memory
 * and disk disagreeing; the store must bring memory back to what the disk holds and throw StoreWriteFailed.
 *
 * Regression: the recovery reloaded through nedb's executor from inside the executor's running task, a
 * deadlock: the failed write never settled and every later write hung behind it. And the short write
 * before ENOSPC left a partial line on disk, which the next load would refuse as corruption.
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode } from '../../../src/errors.js';
import { DurableDatastore } from '../../../src/services/store/durable-datastore.js';

type Doc = { _id: string; v: string };

function tryMount(): string | null {
  const dir = mkdtempSync(join(tmpdir(), 'paypoint-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=128k,mode=0700', 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
}

/** The documents the datafile holds: last version per _id, deletions applied (nedb's own rule). */
function docsOnDisk(file: string): Doc[] {
  const text = readFileSync(file, 'utf8');
  const byId = new Map<string, Doc>();
  for (const l of text.split('\n')) {
    if (l === '') continue;
    const d = JSON.parse(l) as Doc & { $$deleted?: boolean };
    if (typeof d._id !== 'string') continue;
    if (d.$$deleted) byId.delete(d._id);
    else byId.set(d._id, d);
  }
  return [...byId.values()].sort((a, b) => a._id.localeCompare(b._id));
}

async function docsInMemory(ds: DurableDatastore<Doc>): Promise<Doc[]> {
  return ((await ds.db.find({})) as Doc[]).sort((a, b) => a._id.localeCompare(b._id));
}

/** A write that never settles is the bug this reproduces: fail the test instead of waiting for tap's timeout. */
function settles<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, rej) => {
      timer = setTimeout(() => rej(new Error(`${what} never settled (deadlock)`)), 20_000);
    }),
  ]);
}

/** Fills the filesystem with a file until the kernel says ENOSPC. */
function fill(path: string): void {
  const chunk = Buffer.alloc(4096, 0x41);
  const parts: Buffer[] = [];
  for (;;) {
    parts.push(chunk);
    try {
      writeFileSync(path, Buffer.concat(parts));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOSPC') return;
      throw e;
    }
  }
}

const mnt = tryMount();

t.test('a failed append on a full disk: StoreWriteFailed, memory equal to disk, no partial line, later writes work', { skip: mnt === null ? 'cannot mount a tmpfs here (needs root / CAP_SYS_ADMIN) to make a real full disk' : false }, async (t) => {
  t.teardown(() => {
    execFileSync('umount', ['-l', mnt!]);
    rmSync(mnt!, { recursive: true, force: true });
  });
  const file = join(mnt!, 'sessions.db');
  const ds = await DurableDatastore.open<Doc>({ filename: file });
  await ds.db.insert({ _id: 'a', v: 'first' });
  await ds.db.insert({ _id: 'b', v: 'second' });
  for (let i = 0; i < 200; i++) await ds.db.insert({ _id: `m${String(i).padStart(3, '0')}`, v: 'many' });
  const before = readFileSync(file, 'utf8');

  const filler = join(mnt!, 'filler');
  fill(filler);

  // A document larger than a page: the kernel may take part of it before saying ENOSPC.
  const big = 'x'.repeat(20_000);
  await t.rejects(settles(ds.db.insert({ _id: 'c', v: big }), 'insert'), { code: ErrorCode.StoreWriteFailed }, 'insert on a full disk');
  t.equal(readFileSync(file, 'utf8'), before, 'no partial line left on disk');
  t.same(await docsInMemory(ds), docsOnDisk(file), 'memory equals disk after the failed insert');
  t.equal(await ds.db.findOne({ _id: 'c' }), null, 'the insert that failed is not in memory');

  await t.rejects(settles(ds.db.update({ _id: 'a' }, { _id: 'a', v: big }), 'update'), { code: ErrorCode.StoreWriteFailed }, 'update on a full disk');
  t.same(await docsInMemory(ds), docsOnDisk(file), 'memory equals disk after the failed update');
  t.equal(((await ds.db.findOne({ _id: 'a' })) as Doc).v, 'first', 'the old version is what memory holds');

  // A remove of 200 documents appends 200 lines at once: more than the file's last page has room for.
  await t.rejects(settles(ds.db.remove({ v: 'many' }, { multi: true }), 'remove'), { code: ErrorCode.StoreWriteFailed }, 'a multi-document remove on a full disk');
  t.equal(readFileSync(file, 'utf8'), before, 'no partial run of lines left on disk');
  t.same(await docsInMemory(ds), docsOnDisk(file), 'memory equals disk after the failed remove');
  t.equal(await ds.db.count({ v: 'many' }), 200, 'none of the removed documents is gone from memory');
  t.equal(ds.failure, null, 'memory was restored: the store is not marked broken');

  // Space comes back: the same store (same process) writes again, and a fresh load sees the same thing.
  unlinkSync(filler);
  await settles(ds.db.insert({ _id: 'c', v: 'third' }), 'insert after space came back');
  await ds.db.remove({ _id: 'b' }, {});
  await ds.db.remove({ v: 'many' }, { multi: true });
  const reopened = await DurableDatastore.open<Doc>({ filename: file });
  t.same(await docsInMemory(reopened), await docsInMemory(ds), 'a reload sees what memory holds');
  t.same((await docsInMemory(reopened)).map((d) => d._id), ['a', 'c']);
});

t.test('every durable write is synced (O_DSYNC write, counted by the store) before it resolves', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'paypoint-ds-'));
  const seen: boolean[] = [];
  const ds = await DurableDatastore.open<Doc>({ filename: join(dir, 'sessions.db'), onWrite: (ok) => seen.push(ok) });
  await ds.db.insert({ _id: 'a', v: '1' });
  t.same(seen, [true], 'the insert resolved after its write was synced');
  await ds.db.update({ _id: 'a' }, { $set: { v: '2' } });
  await ds.db.remove({ _id: 'a' }, {});
  t.equal(ds.writes, 3);
  // A no-op update appends nothing and syncs nothing.
  await ds.db.update({ _id: 'nope' }, { $set: { v: '3' } });
  t.equal(ds.writes, 3);
});
