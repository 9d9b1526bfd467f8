/**
 * The last update's outcome, kept in the data directory (the data partition is shared by both root
 * slots, so the slot the unit falls back to reads what the other one wrote): written by the stick
 * import (installed) and by `paypoint update mark-good` (marked good, marked bad, fell back), read by
 * the daemon for the status page, /api/status and the LED. A small JSON file written atomically.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../base/fsync.js';

export const UPDATE_MARKER = 'update-result.json';

export type UpdateResult = 'installed' | 'marked-good' | 'marked-bad' | 'fell-back';

export interface UpdateMarker {
  result: UpdateResult;
  at: number;
  /** The slot the result is about (bootname: A or B): installed into, marked, or fallen back to. */
  slot: string | null;
  /** The bundle's version (installed, marked good) or null. */
  version: string | null;
  /** One line for the page. Never a secret. */
  summary: string;
}

const RESULTS: UpdateResult[] = ['installed', 'marked-good', 'marked-bad', 'fell-back'];

export async function writeUpdateMarker(dataDir: string, m: UpdateMarker): Promise<void> {
  await writeFileAtomic(join(dataDir, UPDATE_MARKER), JSON.stringify(m) + '\n', 0o644);
}

export function readUpdateMarker(dataDir: string): UpdateMarker | null {
  try {
    const m = JSON.parse(readFileSync(join(dataDir, UPDATE_MARKER), 'utf8')) as UpdateMarker;
    if (RESULTS.includes(m.result) && typeof m.at === 'number') return m;
  } catch {
    // none yet, or unreadable: nothing to show
  }
  return null;
}

/** The words the page, /api/status and `paypoint --version` use. */
export function updateWords(m: UpdateMarker | null): string {
  if (!m) return 'no update yet';
  switch (m.result) {
    case 'installed':
      return `installed into slot ${m.slot ?? '?'}${m.version ? ` (${m.version})` : ''}, waiting for the reboot`;
    case 'marked-good':
      return `marked good: slot ${m.slot ?? '?'}${m.version ? ` (${m.version})` : ''}`;
    case 'marked-bad':
      return `marked bad: slot ${m.slot ?? '?'} (${m.summary}), rebooting into the other slot`;
    case 'fell-back':
      return `fell back to slot ${m.slot ?? '?'}: ${m.summary}`;
  }
}
