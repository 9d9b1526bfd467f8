/**
 * Recovery from a power cut in the middle of an append (docs/design.md, "nedb-promises": a torn last line makes nedb
 * refuse to load a small datafile). The tail that was never acknowledged is cut off and kept beside the
 * datafile; a bad line *before* a good one is real corruption and must stop the load (StoreCorrupt), never
 * be dropped silently.
 */
import t from 'tap';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, isPayPointError } from '../../../src/errors.js';
import { DurableDatastore } from '../../../src/services/store/durable-datastore.js';
import { repairTornTail } from '../../../src/services/store/torn-tail.js';
import { tempDir } from '../../helpers/daemon.js';

type Doc = { _id: string; v: number | string };

const line = (d: Doc) => JSON.stringify(d) + '\n';
const GOOD = line({ _id: 'a', v: 1 }) + line({ _id: 'b', v: 2 });

async function idsOf(ds: DurableDatastore<Doc>): Promise<string[]> {
  return ((await ds.db.find({})) as Doc[]).map((d) => d._id).sort();
}

t.test('an unterminated last line is cut, kept beside the file, and the store loads', async (t) => {
  const file = join(tempDir(), 'sessions.db');
  const torn = '{"_id":"c","v":';
  writeFileSync(file, GOOD + torn);
  const ds = await DurableDatastore.open<Doc>({ filename: file });
  t.same(await idsOf(ds), ['a', 'b']);
  t.equal(ds.lastRepair.removedBytes, Buffer.byteLength(torn));
  t.ok(ds.lastRepair.keptAt, 'the removed bytes are kept');
  t.equal(readFileSync(ds.lastRepair.keptAt!, 'utf8'), torn, 'kept verbatim for the record');
});

t.test('a zero-filled tail (extent allocated, data never written) is cut, with or without a newline after it', async (t) => {
  for (const tail of [Buffer.alloc(4096), Buffer.concat([Buffer.alloc(100), Buffer.from('\n'), Buffer.alloc(50), Buffer.from('\n')])]) {
    const file = join(tempDir(), 'sessions.db');
    writeFileSync(file, Buffer.concat([Buffer.from(GOOD), tail]));
    const ds = await DurableDatastore.open<Doc>({ filename: file });
    t.same(await idsOf(ds), ['a', 'b']);
    t.equal(ds.lastRepair.removedBytes, tail.length);
  }
});

t.test('a torn line that ends in zeros and a later partial line are all cut', async (t) => {
  const file = join(tempDir(), 'sessions.db');
  const tail = '{"_id":"c","v":3' + '\0'.repeat(20) + '\n{"_id":"d"';
  writeFileSync(file, GOOD + tail);
  const ds = await DurableDatastore.open<Doc>({ filename: file });
  t.same(await idsOf(ds), ['a', 'b']);
  t.equal(ds.lastRepair.removedBytes, Buffer.byteLength(tail));
});

t.test('a bad line BEFORE a good one is not dropped: the load fails with StoreCorrupt and the file is left as it was', async (t) => {
  const dir = tempDir();
  const file = join(dir, 'sessions.db');
  const content = line({ _id: 'a', v: 1 }) + '{"_id":"x", garbage\n' + line({ _id: 'b', v: 2 });
  writeFileSync(file, content);
  await t.rejects(DurableDatastore.open<Doc>({ filename: file }), { code: ErrorCode.StoreCorrupt });
  t.equal(readFileSync(file, 'utf8'), content, 'nothing cut, nothing rewritten');
  t.same(
    readdirSync(dir).filter((f) => f.includes('.torn-')),
    [],
    'no repair happened',
  );
});

t.test('zeros in the MIDDLE of the file (a lost block followed by acknowledged lines) are corruption, not a torn tail', async (t) => {
  const file = join(tempDir(), 'sessions.db');
  writeFileSync(file, Buffer.concat([Buffer.from(line({ _id: 'a', v: 1 })), Buffer.alloc(64), Buffer.from('\n' + line({ _id: 'b', v: 2 }))]));
  const err = await DurableDatastore.open<Doc>({ filename: file }).then(
    () => null,
    (e: unknown) => e,
  );
  t.ok(isPayPointError(err, ErrorCode.StoreCorrupt), 'StoreCorrupt');
});

t.test('the datastore survives reload after a repair: new writes land after the cut and all load again', async (t) => {
  const file = join(tempDir(), 'sessions.db');
  writeFileSync(file, GOOD + '{"_id":"torn"');
  const first = await DurableDatastore.open<Doc>({ filename: file });
  t.ok(first.lastRepair.removedBytes > 0);
  await first.db.insert({ _id: 'c', v: 3 });
  await first.db.update({ _id: 'a' }, { _id: 'a', v: 'one' });
  await first.db.remove({ _id: 'b' }, {});

  const second = await DurableDatastore.open<Doc>({ filename: file });
  t.equal(second.lastRepair.removedBytes, 0, 'nothing to repair the second time');
  t.same(await idsOf(second), ['a', 'c']);
  t.same(((await second.db.findOne({ _id: 'a' })) as Doc).v, 'one', 'the update after the repair is there');
  // The file holds only whole lines, each one JSON.
  const text = readFileSync(file, 'utf8');
  t.ok(text.endsWith('\n'));
  for (const l of text.split('\n').filter(Boolean)) t.doesNotThrow(() => JSON.parse(l));
});

t.test('repairTornTail on edge cases', async (t) => {
  const dir = tempDir();
  t.same(await repairTornTail(join(dir, 'missing.db')), { removedBytes: 0, keptAt: null }, 'no file: nothing to do');

  const empty = join(dir, 'empty.db');
  writeFileSync(empty, '');
  t.same(await repairTornTail(empty), { removedBytes: 0, keptAt: null });

  const onlyTorn = join(dir, 'only-torn.db');
  writeFileSync(onlyTorn, '{"_id":"first-ever-insert"');
  t.equal((await repairTornTail(onlyTorn)).removedBytes, 26);
  t.equal(readFileSync(onlyTorn, 'utf8'), '', 'the first insert was torn: the file is empty again');

  const clean = join(dir, 'clean.db');
  writeFileSync(clean, GOOD);
  t.same(await repairTornTail(clean), { removedBytes: 0, keptAt: null }, 'a clean file is not touched');
  t.equal(readFileSync(clean, 'utf8'), GOOD);
});
