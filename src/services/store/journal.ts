/**
 * The append-only daily journal (docs/design.md): finished sessions leave the live datastore after
 * their uid memory has passed and their report is delivered, and are kept here, one JSON line each,
 * fsync'd, in `journal/YYYY-MM-DD.jsonl` (UTC date of the session's finish). Moving is idempotent: a
 * crash between the journal append and the removal repeats the line, and readers keep the last one per _id.
 */
import { promises as fsp } from 'node:fs';
import { dirname, join } from 'node:path';
import { appendDurable, fsyncDir } from '../../base/fsync.js';

export function journalDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export class Journal {
  constructor(readonly dir: string) {}

  async append(day: string, docs: object[]): Promise<void> {
    if (docs.length === 0) return;
    // A new journal directory's own entry must be durable too, or a power cut could take the directory
    // (and the sessions just moved into it) away after they left the live store.
    const created = await fsp.mkdir(this.dir, { recursive: true, mode: 0o700 });
    if (created !== undefined) await fsyncDir(dirname(this.dir));
    const path = join(this.dir, `${day}.jsonl`);
    // After a power cut mid-append the file may end in a torn line: start on a new line, or the first
    // document would be glued to the torn bytes, unreadable, and lost (it leaves the live store next).
    const lead = (await endsTorn(path)) ? '\n' : '';
    await appendDurable(path, lead + docs.map((d) => JSON.stringify(d) + '\n').join(''));
  }

  async days(): Promise<string[]> {
    try {
      return (await fsp.readdir(this.dir))
        .filter((f) => /^\d{4}-\d{2}-\d{2}\.jsonl$/.test(f))
        .map((f) => f.slice(0, 10))
        .sort();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  }

  /** The documents of one day, last version per _id, torn or foreign lines skipped. */
  async read<T extends { _id: string }>(day: string): Promise<T[]> {
    let text: string;
    try {
      text = await fsp.readFile(join(this.dir, `${day}.jsonl`), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const byId = new Map<string, T>();
    for (const line of text.split('\n')) {
      if (line === '') continue;
      try {
        const doc = JSON.parse(line) as T;
        if (doc && typeof doc._id === 'string') byId.set(doc._id, doc);
      } catch {
        // a torn last line: never acknowledged
      }
    }
    return [...byId.values()];
  }

  /** Deletes days older than `keepDays` before `now`. */
  async prune(now: number, keepDays: number): Promise<number> {
    const cutoff = journalDay(now - keepDays * 86_400_000);
    let removed = 0;
    for (const day of await this.days()) {
      if (day < cutoff) {
        await fsp.unlink(join(this.dir, `${day}.jsonl`));
        removed++;
      }
    }
    return removed;
  }
}

/** Whether the file exists, is not empty, and does not end with a newline. */
async function endsTorn(path: string): Promise<boolean> {
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
  try {
    const { size } = await fh.stat();
    if (size === 0) return false;
    const last = Buffer.alloc(1);
    await fh.read(last, 0, 1, size - 1);
    return last[0] !== 0x0a;
  } finally {
    await fh.close();
  }
}
