/**
 * The append-only daily journal (docs/design.md). Moving sessions into it is idempotent: a power cut
 * between the journal append and the removal from the live store repeats lines, and readers keep one
 * (the last) per _id. A torn last line was never acknowledged and is skipped.
 */
import t from 'tap';
import { appendFileSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Journal, journalDay } from '../../../src/services/store/journal.js';
import { tempDir } from '../../helpers/daemon.js';

type Doc = { _id: string; v: number };

t.test('journalDay is the UTC date', async (t) => {
  t.equal(journalDay(Date.UTC(2026, 0, 31, 23, 59, 59)), '2026-01-31');
  t.equal(journalDay(Date.UTC(2026, 1, 1, 0, 0, 0)), '2026-02-01');
});

t.test('repeated lines (a move repeated after a power cut) are read once, last version wins', async (t) => {
  const j = new Journal(join(tempDir(), 'journal'));
  await j.append('2026-03-01', [{ _id: 'a', v: 1 }, { _id: 'b', v: 1 }]);
  await j.append('2026-03-01', [{ _id: 'a', v: 1 }, { _id: 'b', v: 2 }]);
  await j.append('2026-03-01', [{ _id: 'a', v: 1 }]);
  const raw = readFileSync(join(j.dir, '2026-03-01.jsonl'), 'utf8').split('\n').filter(Boolean);
  t.equal(raw.length, 5, 'the file is append-only: all five lines are there');
  const docs = (await j.read<Doc>('2026-03-01')).sort((x, y) => x._id.localeCompare(y._id));
  t.same(docs, [
    { _id: 'a', v: 1 },
    { _id: 'b', v: 2 },
  ]);
});

t.test('a torn last line is skipped; other days and missing days read fine', async (t) => {
  const dir = join(tempDir(), 'journal');
  mkdirSync(dir);
  writeFileSync(join(dir, '2026-03-02.jsonl'), JSON.stringify({ _id: 'a', v: 1 }) + '\n');
  appendFileSync(join(dir, '2026-03-02.jsonl'), '{"_id":"b","v"');
  writeFileSync(join(dir, 'notes.txt'), 'not a journal day');
  const j = new Journal(dir);
  t.same(await j.read<Doc>('2026-03-02'), [{ _id: 'a', v: 1 }]);
  t.same(await j.read<Doc>('2026-03-03'), []);
  t.same(await j.days(), ['2026-03-02'], 'only day files count');
  // Regression: the next append was glued to the torn bytes, so its first document could not be read,
  // and archive() had already removed it from the live store: lost.
  await j.append('2026-03-02', [{ _id: 'c', v: 3 }]);
  const ids = (await j.read<Doc>('2026-03-02')).map((d) => d._id).sort();
  t.ok(ids.includes('a'));
  t.ok(ids.includes('c'), 'a document appended after a torn line is not lost');
});

t.test('days() is empty without a journal directory; prune removes days older than the retention', async (t) => {
  const j = new Journal(join(tempDir(), 'journal'));
  t.same(await j.days(), []);
  for (const day of ['2026-01-01', '2026-02-01', '2026-03-01']) await j.append(day, [{ _id: day, v: 0 }]);
  await j.append('2026-03-01', []);
  t.equal(await j.prune(Date.UTC(2026, 2, 2), 30), 1, 'one day older than 30 days before 2 March');
  t.same(await j.days(), ['2026-02-01', '2026-03-01']);
});
