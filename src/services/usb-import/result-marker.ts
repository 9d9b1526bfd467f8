/**
 * The last USB import's result, left in the data directory by `paypoint usb-import` (run as its own
 * unit) for the daemon to show on the LED and status page for a few minutes (docs/appliance.md, "USB stick": "show the
 * result on the LED"). A small JSON file written atomically.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../base/fsync.js';

export const IMPORT_MARKER = 'usb-import-result.json';
/** How long the LED shows the import result. */
export const IMPORT_RESULT_SHOWN_MS = 5 * 60_000;

export interface ImportMarker {
  result: 'applied' | 'refused';
  at: number;
  /** One line for the page: "applied", or the first problem. Never a secret. */
  summary: string;
}

export async function writeImportMarker(dataDir: string, m: ImportMarker): Promise<void> {
  await writeFileAtomic(join(dataDir, IMPORT_MARKER), JSON.stringify(m) + '\n', 0o644);
}

export function readImportMarker(dataDir: string): ImportMarker | null {
  try {
    const m = JSON.parse(readFileSync(join(dataDir, IMPORT_MARKER), 'utf8')) as ImportMarker;
    if ((m.result === 'applied' || m.result === 'refused') && typeof m.at === 'number') return m;
  } catch {
    // none yet, or unreadable: nothing to show
  }
  return null;
}
