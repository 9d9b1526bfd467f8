/**
 * What the list of open cases (payment/open-cases.ts) and the totals (payment/daily-totals.ts) are made from, read from a data directory's files
 * without opening the store (no lock, nothing written; see session-file-reader.ts for why that is safe
 * while the daemon runs): live sessions and credits, those moved to the daily journal, the card
 * driver's journal, and the settlement ledger.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { CaseInputs } from '../../payment/open-cases.js';
import { readVtkOpRecords, type VtkOpRecord } from '../../drivers/vtk/vtk-op-journal.js';
import { Journal } from './journal.js';
import { readDatafile } from './session-file-reader.js';
import { readSettlements } from './settlement-ledger.js';
import type { CashRecord, StoredSession, UnattributedCredit } from './session-store.js';

export const VTK_JOURNAL_FILE = 'vtk-ops.json';

type JournalDoc = StoredSession | UnattributedCredit | CashRecord;

/**
 * A day of the journal is appended to, never rewritten: its documents are read again only when its
 * size changed (the status page asks every few seconds; the journal keeps weeks).
 */
export class JournalCache {
  private readonly days = new Map<string, { size: number; docs: JournalDoc[] }>();
  constructor(readonly journal: Journal) {}

  async all(): Promise<JournalDoc[]> {
    const out: JournalDoc[] = [];
    const seen = new Set<string>();
    for (const day of await this.journal.days()) {
      seen.add(day);
      let size = -1;
      try {
        size = statSync(join(this.journal.dir, `${day}.jsonl`)).size;
      } catch {
        continue; // pruned meanwhile
      }
      let hit = this.days.get(day);
      if (!hit || hit.size !== size) {
        hit = { size, docs: await this.journal.read<JournalDoc>(day) };
        this.days.set(day, hit);
      }
      out.push(...hit.docs);
    }
    for (const d of this.days.keys()) if (!seen.has(d)) this.days.delete(d);
    return out;
  }
}

/**
 * `live`: the live store's documents; read from the datafile when not given (the command line), from the
 * open store in the daemon (SessionStore.documents()).
 */
export interface StoredRecords extends Omit<CaseInputs, 'cardOps' | 'sessions' | 'unattributed'> {
  sessions: StoredSession[];
  unattributed: UnattributedCredit[];
  cash: CashRecord[];
  cardOps: VtkOpRecord[];
}

export async function readCaseInputs(
  dataDir: string,
  cache = new JournalCache(new Journal(join(dataDir, 'journal'))),
  live: { sessions: StoredSession[]; unattributed: UnattributedCredit[]; cash?: CashRecord[] } = readDatafile(dataDir),
): Promise<StoredRecords> {
  const sessions = new Map<string, StoredSession>();
  const credits = new Map<string, UnattributedCredit>();
  const cash = new Map<string, CashRecord>();
  for (const d of await cache.all()) {
    if (d.kind === 'session') sessions.set(d._id, d);
    else if (d.kind === 'unattributed') credits.set(d._id, d);
    else if (d.kind === 'cash') cash.set(d._id, d);
  }
  // The live store wins over a journal copy (a move repeated after a crash).
  for (const s of live.sessions) sessions.set(s._id, s);
  for (const u of live.unattributed) credits.set(u._id, u);
  for (const c of live.cash ?? []) cash.set(c._id, c);
  return {
    sessions: [...sessions.values()],
    unattributed: [...credits.values()],
    cash: [...cash.values()],
    cardOps: readVtkOpRecords(join(dataDir, VTK_JOURNAL_FILE)),
    settlements: readSettlements(dataDir),
  };
}
