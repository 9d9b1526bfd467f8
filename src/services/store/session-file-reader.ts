/**
 * The one reader of the live store's datafile without opening the store (no lock, nothing written),
 * for the reports CLI, the USB export and the tests.
 *
 * Why read the file and not ask the daemon: it works whether the daemon runs or not (a technician looking
 * at a kiosk whose daemon is down wants the outbox most), needs no extra listening socket, and cannot
 * disturb the daemon: it takes no lock and writes nothing (opening the store would rewrite the file). It
 * is safe while the daemon writes because nedb only ever appends whole lines (one document version per
 * line; the last version of an _id wins; `$$deleted` removes) and replaces the file by an atomic rename
 * when it compacts, so a reader sees one complete file; a last line being written at that moment is
 * unterminated and set aside, as the store itself would on a torn tail.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { newestLedger, type CashRecord, type StoredSession, type UnattributedCredit } from './session-store.js';
import type { LedgerStamp } from '../../payment/cash-inventory.js';

export interface DatafileSnapshot {
  sessions: StoredSession[];
  unattributed: UnattributedCredit[];
  /** Collections, refills and openings still in the live store. */
  cash: CashRecord[];
  /** The cash inventory as last stored (the newest ledger stamp; seq 0 and empty when none). */
  ledger: LedgerStamp;
  /** Lines that do not parse and are followed by a good line (corruption, not a torn tail). */
  corruptLines: string[];
  /** An unterminated last line (possible only mid-append, never acknowledged). */
  tornTail: string | null;
}

export function readDatafile(dataDir: string): DatafileSnapshot {
  let text: string;
  try {
    text = readFileSync(join(dataDir, 'sessions.db'), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { sessions: [], unattributed: [], cash: [], ledger: newestLedger([]), corruptLines: [], tornTail: null };
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
    cash: (docs.filter((d) => d.kind === 'cash') as unknown as CashRecord[]).sort((a, b) => a.ledger.seq - b.ledger.seq),
    ledger: newestLedger(docs as { ledger?: LedgerStamp }[]),
    corruptLines,
    tornTail,
  };
}

/** The session documents of a data directory (see readDatafile). */
export function readSessionDocs(dataDir: string): StoredSession[] {
  return readDatafile(dataDir).sessions;
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
