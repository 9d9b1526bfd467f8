/**
 * One daemon per data directory: two writers on one nedb file would corrupt it.
 *
 * The lock is a kernel lock, flock(2) on `daemon.lock`, held through an open file description that only
 * this process keeps: the kernel drops it when the process dies (SIGKILL, power cut, crash), so nothing
 * stale survives a reboot and there is no pid to compare (a pid file's pid can belong to another
 * process after a reboot, and two daemons starting at once on a dead daemon's pid file could both take
 * it over). flock is atomic: of two daemons starting at once exactly one gets it.
 *
 * Node has no flock of its own, so the lock is taken by util-linux's flock(1) on the descriptor this
 * process passes to it as fd 3: a flock belongs to the open file description, not to the process that
 * asked, so it stays held after flock(1) exits, for as long as this process keeps the descriptor open.
 * The file itself is never removed (removing a locked file would let a second daemon lock a new one).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, ftruncateSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, PayPointError } from '../../errors.js';

export const LOCK_FILE = 'daemon.lock';
/**
 * flock(1)'s exit status when -n finds the lock taken: 1 for util-linux's flock (its default conflict
 * code) and for BusyBox's applet, which knows only the short options used here. util-linux reports its
 * own errors with other codes (sysexits), unchecked for BusyBox.
 */
const CONFLICT = 1;

export function lockDataDir(dataDir: string, lockFile = LOCK_FILE): () => void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, lockFile);
  const fd = openSync(path, 'a+', 0o600);
  let r;
  try {
    r = spawnSync('flock', ['-x', '-n', '3'], {
      stdio: ['ignore', 'ignore', 'pipe', fd],
    });
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  if (r.status !== 0) {
    closeSync(fd);
    if (r.status === CONFLICT) {
      let holder = '';
      try {
        holder = readFileSync(path, 'utf8').trim();
      } catch {
        /* informational only */
      }
      const pid = Number(holder);
      throw new PayPointError(
        ErrorCode.StoreLocked,
        `data directory ${dataDir} is in use${Number.isInteger(pid) && pid > 0 ? ` by process ${pid}` : ''}`,
        { dataDir, ...(Number.isInteger(pid) && pid > 0 ? { pid } : {}) },
      );
    }
    const why = r.error ? r.error.message : `flock exited ${r.status ?? r.signal}: ${String(r.stderr ?? '').trim()}`;
    throw new PayPointError(ErrorCode.StoreLocked, `cannot lock data directory ${dataDir}: ${why}`, { dataDir });
  }
  // Who holds it, for the error message of the next one (never used to decide anything).
  ftruncateSync(fd, 0);
  writeSync(fd, `${process.pid}\n`, 0);
  // The pid file of older versions means nothing now.
  try {
    if (lockFile === LOCK_FILE) unlinkSync(join(dataDir, 'daemon.pid'));
  } catch {
    /* none */
  }
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    closeSync(fd); // the last descriptor of the description: the kernel releases the lock
  };
}
