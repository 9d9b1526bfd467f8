/**
 * `paypoint hw levels [--data-dir DIR]` prints the hoppers' fill levels; `paypoint hw levels set
 * VALUE=COUNT ...` sets them after a technician filled or emptied a hopper (README.md, "Cash hardware": "settable
 * by the technician"). Values are kopecks (1000 = a 10-rouble coin). Only with the daemon stopped: the
 * data directory's lock is taken, so a running daemon's counts are never overwritten behind its back.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lockDataDir } from '../services/store/data-dir-lock.js';
import { writeFileAtomic } from '../base/fsync.js';

export function parseLevelArgs(args: string[]): Record<number, number> | string {
  const out: Record<number, number> = {};
  for (const a of args) {
    const m = /^(\d{1,7})=(\d{1,5})$/.exec(a);
    if (!m || Number(m[1]) <= 0) return `not VALUE=COUNT (kopecks=coins): ${a}`;
    out[Number(m[1])] = Number(m[2]);
  }
  return Object.keys(out).length ? out : 'give at least one VALUE=COUNT';
}

export async function hwLevelsCommand(dataDir: string, args: string[], usage: (m: string) => Error): Promise<number> {
  const file = join(dataDir, 'hopper-levels.json');
  const current: Record<number, number> = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<number, number>) : {};
  if (args.length === 0) {
    const rows = Object.entries(current).sort((a, b) => Number(b[0]) - Number(a[0]));
    process.stdout.write(rows.length ? rows.map(([v, n]) => `${v}\t${n}`).join('\n') + '\n' : 'no hopper levels recorded yet\n');
    return 0;
  }
  if (args[0] !== 'set') throw usage('hw levels [set VALUE=COUNT ...]');
  const parsed = parseLevelArgs(args.slice(1));
  if (typeof parsed === 'string') throw usage(`hw levels set: ${parsed}`);
  const unlock = lockDataDir(dataDir); // refuses while the daemon runs
  try {
    await writeFileAtomic(file, JSON.stringify({ ...current, ...parsed }), 0o600);
  } finally {
    unlock();
  }
  process.stdout.write(`hopper levels set: ${Object.entries(parsed).map(([v, n]) => `${v}=${n}`).join(' ')}\n`);
  return 0;
}
