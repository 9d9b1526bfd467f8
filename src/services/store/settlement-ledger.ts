/**
 * The settlement ledger: how a person settled what the unit could not (payment/open-cases.ts), one JSON
 * line per settlement in DATA_DIR/settlements.jsonl, appended and fsync'd before the command that wrote
 * it says "recorded". Append-only: a settlement is never edited or removed, and neither is the session,
 * credit or card record it settles.
 *
 * Written by `paypoint settle` while the daemon may be running: the daemon holds the data directory's
 * lock, so the ledger has its own (settlements.lock, the same kernel flock as daemon.lock): the check
 * "not settled yet" and the append happen under it, so two people settling the same case at once
 * cannot both succeed. The daemon only reads the file; a last line being written is unterminated and
 * set aside (never acknowledged).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { appendDurable } from '../../base/fsync.js';
import type { Settlement } from '../../payment/open-cases.js';
import { lockDataDir } from './data-dir-lock.js';

export const LEDGER_FILE = 'settlements.jsonl';
export const LEDGER_LOCK = 'settlements.lock';

export function ledgerPath(dataDir: string): string {
  return join(dataDir, LEDGER_FILE);
}

/** Every settlement in the file, in the order written; torn or foreign lines skipped. */
export function readSettlements(dataDir: string): Settlement[] {
  let text: string;
  try {
    text = readFileSync(ledgerPath(dataDir), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const lines = text.split('\n');
  lines.pop(); // '' after the last newline, or an unterminated line being written
  const out: Settlement[] = [];
  for (const line of lines) {
    try {
      const d = JSON.parse(line) as Settlement;
      if (d && d.kind === 'settlement' && typeof d.caseId === 'string') out.push(d);
    } catch {
      // a line torn by a power cut before a newline was appended after it: never acknowledged
    }
  }
  return out;
}

/**
 * Runs `decide` under the ledger's lock with the settlements so far; appends (fsync'd) the record it
 * returns. `decide` throws to refuse: nothing is written then.
 */
export async function appendSettlement(dataDir: string, decide: (so_far: Settlement[]) => Settlement): Promise<Settlement> {
  const unlock = lockDataDir(dataDir, LEDGER_LOCK);
  try {
    const rec = decide(readSettlements(dataDir));
    // A torn last line (power cut mid-append) must not swallow this record: start on a new line.
    let lead = '';
    try {
      const text = readFileSync(ledgerPath(dataDir), 'utf8');
      if (text.length > 0 && !text.endsWith('\n')) lead = '\n';
    } catch {
      /* new file */
    }
    await appendDurable(ledgerPath(dataDir), lead + JSON.stringify(rec) + '\n');
    return rec;
  } finally {
    unlock();
  }
}
