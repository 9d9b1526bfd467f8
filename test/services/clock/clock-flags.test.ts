/**
 * Sessions finished on an unsynchronised clock (src/services/clock/clock-flags.ts): each flag is one line
 * of clock-unsynced.jsonl, appended on a descriptor kept open, readable at once and after a close.
 */
import t from 'tap';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLOCK_FLAGS_FILE, closeUnsyncedFlags, flagUnsynced, readUnsyncedIds } from '../../../src/services/clock/clock-flags.js';

t.test('flags append one line each, on one kept-open file, and survive a close and reopen', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'paypoint-clockflags-'));
  await Promise.all([flagUnsynced(dir, { _id: 'a', uid: 'u-a', finishedAt: 1 }), flagUnsynced(dir, { _id: 'b', uid: 'u-b', finishedAt: 2 })]);
  t.same([...readUnsyncedIds(dir)].sort(), ['a', 'b'], 'both flags read back before any close');
  await closeUnsyncedFlags(dir);
  await flagUnsynced(dir, { _id: 'c', uid: 'u-c', finishedAt: null });
  await closeUnsyncedFlags(dir);
  const lines = readFileSync(join(dir, CLOCK_FLAGS_FILE), 'utf8').split('\n');
  t.equal(lines.length, 4, 'three lines and the final newline');
  t.same(lines.slice(0, 3).map((l) => JSON.parse(l)._id).sort(), ['a', 'b', 'c']);
  t.same([...readUnsyncedIds(dir)].sort(), ['a', 'b', 'c'], 'the third flag went to the same file after the reopen');
});
