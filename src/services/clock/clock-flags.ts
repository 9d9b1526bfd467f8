/**
 * Sessions that finished while the clock was not known to be synchronised (clock.ts): their report's
 * `time` may be wrong. One JSON line each in `<data_dir>/clock-unsynced.jsonl`, fsync'd; the CSV export
 * marks them (clock_synced = no).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DurableAppender } from '../../base/fsync.js';

export const CLOCK_FLAGS_FILE = 'clock-unsynced.jsonl';

/**
 * One descriptor kept open per file (nothing ever replaces it): each flag is one O_DSYNC write.
 * Opening, probing and closing it for every finished session took five system calls and four
 * thread-pool round trips, right when the next Pay may be waiting
 * (bench/README.md, "Where the time goes").
 */
const appenders = new Map<string, DurableAppender>();

export async function flagUnsynced(dataDir: string, entry: { _id: string; uid: string; finishedAt: number | null }): Promise<void> {
  const path = join(dataDir, CLOCK_FLAGS_FILE);
  let a = appenders.get(path);
  if (!a) appenders.set(path, (a = new DurableAppender(path)));
  await a.append(JSON.stringify(entry) + '\n');
}

/** Closes the kept-open descriptor of this data directory's flags file (the daemon's stop). */
export async function closeUnsyncedFlags(dataDir: string): Promise<void> {
  const path = join(dataDir, CLOCK_FLAGS_FILE);
  const a = appenders.get(path);
  appenders.delete(path);
  await a?.close();
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
