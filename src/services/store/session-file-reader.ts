/** Reads the live store's datafile without opening the store (no lock, nothing written). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StoredSession } from './session-store.js';

/**
 * The session documents of a data directory, read from the datafile without opening the store.
 *
 * Why this and not asking the daemon: it works whether the daemon runs or not (a technician looking at a
 * kiosk whose daemon is down wants the outbox most), needs no extra listening socket, and cannot disturb
 * the daemon: it takes no lock and writes nothing. It is safe while the daemon writes because nedb only
 * ever appends whole lines (one document version per line; the last version of an _id wins) and replaces
 * the file by an atomic rename when it compacts, so a reader sees one complete file; a last line being
 * written at that moment is incomplete and skipped, as the store itself would on a torn tail.
 */
export function readSessionDocs(dataDir: string): StoredSession[] {
  let text: string;
  try {
    text = readFileSync(join(dataDir, 'sessions.db'), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const byId = new Map<string, StoredSession>();
  for (const line of text.split('\n')) {
    if (!line) continue;
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue; // a line being appended right now
    }
    if (typeof doc._id !== 'string') continue; // index definitions
    if (doc.$$deleted === true) byId.delete(doc._id);
    else if (doc.kind === 'session') byId.set(doc._id, doc as unknown as StoredSession);
    else byId.delete(doc._id);
  }
  return [...byId.values()];
}
