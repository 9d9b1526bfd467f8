/**
 * One daemon per data directory: two writers on one nedb file would corrupt it. The lock is a kernel
 * lock (flock) that dies with its holder: a second daemon fails with StoreLocked (404); a daemon killed
 * by SIGKILL (or a power cut) leaves nothing that blocks the next one; a pid left in the lock file
 * means nothing (after a reboot it may be another live process's); of daemons starting at once on the
 * same directory exactly one runs.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode } from '../../../src/errors.js';
import { LOCK_FILE, lockDataDir } from '../../../src/services/store/data-dir-lock.js';
import { startDaemonProcess, tempDir, type DaemonProcess } from '../../helpers/daemon.js';
import { lastAnswer, waitFor } from '../../helpers/wait.js';

// The status page has a fixed default port: off, so that this daemon cannot collide with another test's.
const CONFIG = '[status]\nenabled = false\n[led]\nenabled = false\n';

t.test('a second daemon on the same data directory fails with StoreLocked, the first keeps running', async (t) => {
  const first = await startDaemonProcess({ configText: CONFIG });
  t.teardown(() => first.stop());
  t.equal(readFileSync(join(first.dataDir, LOCK_FILE), 'utf8').trim(), String(first.child.pid), 'the lock file names the holder');

  t.throws(() => lockDataDir(first.dataDir), { code: ErrorCode.StoreLocked, message: new RegExp(`process ${first.child.pid}`) }, 'in-process lock attempt');

  const err = await startDaemonProcess({ dataDir: first.dataDir, configText: CONFIG }).then(
    async (d) => {
      await d.stop();
      return null;
    },
    (e: Error) => e,
  );
  t.ok(err, 'the second daemon did not start');
  t.match(err?.message ?? '', new RegExp(`error ${ErrorCode.StoreLocked}:`), 'and said StoreLocked');
  t.equal(first.child.exitCode, null, 'the first daemon still runs');

  await first.kill9();
  // SIGKILL closes the daemon's descriptors: the kernel has released the lock, nothing to clean up.
  const next = await startDaemonProcess({ dataDir: first.dataDir, configText: CONFIG });
  t.equal(readFileSync(join(first.dataDir, LOCK_FILE), 'utf8').trim(), String(next.child.pid), 'the next daemon holds it');
  t.equal(await next.stop(), 0, 'clean stop');
  const release = lockDataDir(first.dataDir);
  t.pass('after a clean stop the directory is free');
  release();
});

t.test('a pid in the lock file (a live process after a reboot, or garbage) does not block; only the kernel lock does', async (t) => {
  const dir = tempDir();
  const lockFile = join(dir, LOCK_FILE);
  // pid 1 is always alive: a pid-file lock would have refused here.
  writeFileSync(lockFile, '1\n');
  const release = lockDataDir(dir);
  t.equal(readFileSync(lockFile, 'utf8').trim(), String(process.pid));
  t.throws(() => lockDataDir(dir), { code: ErrorCode.StoreLocked }, 'held: a second lock in the same process is refused too');
  release();
  release(); // twice is harmless
  writeFileSync(lockFile, 'not a pid\n');
  const release2 = lockDataDir(dir);
  release2();
  // An old version's pid file naming a live process is ignored and removed.
  writeFileSync(join(dir, 'daemon.pid'), '1\n');
  const release3 = lockDataDir(dir);
  release3();
  t.throws(() => readFileSync(join(dir, 'daemon.pid')), { code: 'ENOENT' });
});

t.test('another process holding the lock (flock(1) on the file): StoreLocked until it exits', async (t) => {
  const dir = tempDir();
  writeFileSync(join(dir, LOCK_FILE), '');
  const holder = spawn('flock', ['--exclusive', '--close', join(dir, LOCK_FILE), 'sleep', '30'], { stdio: 'ignore' });
  // Wait until it holds it.
  await waitFor('flock holding the lock', () => {
    try {
      lockDataDir(dir)();
      return false;
    } catch {
      return true;
    }
  }, { timeoutMs: 5_000, everyMs: 50 }).catch(lastAnswer);
  t.throws(() => lockDataDir(dir), { code: ErrorCode.StoreLocked, message: /is in use/ });
  holder.kill('SIGKILL');
  await new Promise((r) => holder.on('exit', r));
  const release = lockDataDir(dir);
  t.pass('free once the holder was killed');
  release();
});

t.test('four daemons started at once on a killed daemon\'s directory: exactly one runs', async (t) => {
  const first = await startDaemonProcess({ configText: CONFIG });
  await first.kill9();
  const results = await Promise.all(
    [0, 1, 2, 3].map(() =>
      startDaemonProcess({ dataDir: first.dataDir, configText: CONFIG }).then(
        (d): DaemonProcess | Error => d,
        (e: Error) => e,
      ),
    ),
  );
  const running = results.filter((r): r is DaemonProcess => !(r instanceof Error));
  const refused = results.filter((r): r is Error => r instanceof Error);
  t.equal(running.length, 1, 'one daemon runs');
  t.equal(refused.length, 3, 'three were refused');
  for (const e of refused) t.match(e.message, new RegExp(`error ${ErrorCode.StoreLocked}:`), 'with StoreLocked');
  for (const d of running) t.equal(await d.stop(), 0, 'clean stop');
});
