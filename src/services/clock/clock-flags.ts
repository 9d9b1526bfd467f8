/**
 * Sessions that finished while the clock was not known to be synchronised (clock.ts): their report's
 * `time` may be wrong. One JSON line each in `<data_dir>/clock-unsynced.jsonl`, fsync'd; the CSV export
 * marks them (clock_synced = no).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { appendDurable } from '../../base/fsync.js';

export const CLOCK_FLAGS_FILE = 'clock-unsynced.jsonl';

export async function flagUnsynced(dataDir: string, entry: { _id: string; uid: string; finishedAt: number | null }): Promise<void> {
  await appendDurable(join(dataDir, CLOCK_FLAGS_FILE), JSON.stringify(entry) + '\n');
}

/** Session ids finished on an unsynchronised clock. */
export function readUnsyncedIds(dataDir: string): Set<string> {
  const ids = new Set<string>();
  let text = '';
  try {
    text = readFileSync(join(dataDir, CLOCK_FLAGS_FILE), 'utf8');
  } catch {
    return ids;
  }
  for (const line of text.split('\n')) {
    try {
      const e = JSON.parse(line) as { _id?: unknown };
      if (typeof e._id === 'string') ids.add(e._id);
    } catch {
      // torn last line
    }
  }
  return ids;
}
