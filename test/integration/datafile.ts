/**
 * Reads a data directory's nedb datafile WITHOUT opening the store (opening rewrites the file): one
 * document version per line, the last version of an _id wins, `$$deleted` removes. Strict: a line that
 * does not parse is counted, and whether it is the unterminated last line (a torn tail, never
 * acknowledged) or a bad line before good ones (corruption) is told apart.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StoredSession, UnattributedCredit } from '../../src/services/store/session-store.js';

export interface DatafileSnapshot {
  sessions: StoredSession[];
  unattributed: UnattributedCredit[];
  /** Lines that do not parse and are followed by a good line. */
  corruptLines: string[];
  /** An unterminated last line (possible only mid-append). */
  tornTail: string | null;
}

export function readDatafile(dataDir: string): DatafileSnapshot {
  let text: string;
  try {
    text = readFileSync(join(dataDir, 'sessions.db'), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { sessions: [], unattributed: [], corruptLines: [], tornTail: null };
    throw e;
  }
  const lines = text.split('\n');
  const last = lines.pop()!; // '' when the file ends with a newline
  const tornTail = last === '' ? null : last;
  const byId = new Map<string, Record<string, unknown>>();
  const corruptLines: string[] = [];
  for (const line of lines) {
    if (line === '') continue;
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(line) as Record<string, unknown>;
    } catch {
      corruptLines.push(line);
      continue;
    }
    if (typeof doc._id !== 'string') continue; // index definitions
    if (doc.$$deleted === true) byId.delete(doc._id);
    else byId.set(doc._id, doc);
  }
  const docs = [...byId.values()];
  return {
    sessions: docs.filter((d) => d.kind === 'session') as unknown as StoredSession[],
    unattributed: docs.filter((d) => d.kind === 'unattributed') as unknown as UnattributedCredit[],
    corruptLines,
    tornTail,
  };
}

/** The newest session of each uid. */
export function newestByUid(sessions: StoredSession[]): Map<string, StoredSession> {
  const m = new Map<string, StoredSession>();
  for (const s of sessions) {
    const prev = m.get(s.uid);
    if (!prev || s.createdAt > prev.createdAt) m.set(s.uid, s);
  }
  return m;
}
