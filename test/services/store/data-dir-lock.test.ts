/**
 * One daemon per data directory: two writers on one nedb file would corrupt it. A second daemon on the
 * same directory fails with StoreLocked (404); a pid file left by a daemon that died (power cut, SIGKILL)
 * is taken over.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode } from '../../../src/errors.js';
import { lockDataDir } from '../../../src/services/store/data-dir-lock.js';
import { startDaemonProcess, tempDir } from '../../helpers/daemon.js';

// The status page has a fixed default port: off, so that this daemon cannot collide with another test's.
const CONFIG = '[status]\nenabled = false\n[led]\nenabled = false\n';

/** The pid of a process that has exited (so certainly not alive now). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '0']);
  return r.pid!;
}

t.test('a second daemon on the same data directory fails with StoreLocked, the first keeps running', async (t) => {
  const first = await startDaemonProcess({ configText: CONFIG });
  t.teardown(() => first.stop());
  t.equal(readFileSync(join(first.dataDir, 'daemon.pid'), 'utf8').trim(), String(first.child.pid), 'the pid file names the daemon');

  t.throws(() => lockDataDir(first.dataDir), { code: ErrorCode.StoreLocked }, 'in-process lock attempt');

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
  t.equal(readFileSync(join(first.dataDir, 'daemon.pid'), 'utf8').trim(), String(first.child.pid), 'its pid file is untouched');

  await first.kill9();
  // SIGKILL leaves the pid file behind: the next daemon takes it over.
  t.ok(existsSync(join(first.dataDir, 'daemon.pid')), 'a killed daemon leaves its pid file');
  const next = await startDaemonProcess({ dataDir: first.dataDir, configText: CONFIG });
  t.equal(readFileSync(join(first.dataDir, 'daemon.pid'), 'utf8').trim(), String(next.child.pid), 'the stale pid file was taken over');
  t.equal(await next.stop(), 0, 'clean stop');
  t.notOk(existsSync(join(first.dataDir, 'daemon.pid')), 'a clean stop removes the pid file');
});

t.test('a stale pid file (dead process, or garbage) is taken over; release removes only our own file', async (t) => {
  const dir = tempDir();
  const pidFile = join(dir, 'daemon.pid');
  writeFileSync(pidFile, `${deadPid()}\n`);
  const release = lockDataDir(dir);
  t.equal(readFileSync(pidFile, 'utf8').trim(), String(process.pid));
  release();
  t.notOk(existsSync(pidFile));

  writeFileSync(pidFile, 'not a pid\n');
  const release2 = lockDataDir(dir);
  t.equal(readFileSync(pidFile, 'utf8').trim(), String(process.pid));
  // Someone else took the directory meanwhile (an operator's manual takeover): release leaves their file.
  writeFileSync(pidFile, '1\n');
  release2();
  t.equal(readFileSync(pidFile, 'utf8').trim(), '1');
});

t.test('a live process other than us holds the lock: StoreLocked', async (t) => {
  const dir = tempDir();
  // pid 1 is always alive.
  writeFileSync(join(dir, 'daemon.pid'), '1\n');
  t.throws(() => lockDataDir(dir), { code: ErrorCode.StoreLocked });
});
