/**
 * A pty pair made by socat (`socat -d -d pty,raw,echo=0,link=A pty,raw,echo=0,link=B`), so a serial
 * driver and a simulated device can talk through real ttys: the simulated board and tests use it.
 * `at` puts the links at given paths, so a pair closed (the adapter unplugged: both ends fail, socat
 * removes its links) can be made again at the same paths (plugged back; the links then point to new
 * /dev/pts nodes, as a udev symlink does to a re-enumerated ttyUSB).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, PayPointError } from '../../errors.js';

export interface PtyPair {
  a: string;
  b: string;
  close(): Promise<void>;
}

export async function openPtyPair(socat = 'socat', at?: { a: string; b: string }): Promise<PtyPair> {
  const dir = at ? null : await mkdtemp(join(tmpdir(), 'paypoint-pty-'));
  const a = at?.a ?? join(dir!, 'A');
  const b = at?.b ?? join(dir!, 'B');
  const cleanup = async (): Promise<void> => {
    if (dir) await rm(dir, { recursive: true, force: true });
    else for (const p of [a, b]) await rm(p, { force: true });
  };
  const proc: ChildProcess = spawn(socat, ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`socat did not start: ${stderr}`)), 10_000);
      proc.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
        // socat says so once both ptys exist.
        if (stderr.includes('starting data transfer loop')) {
          clearTimeout(timer);
          resolve();
        }
      });
      proc.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      proc.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`socat exited ${code}: ${stderr}`));
      });
    });
  } catch (e) {
    proc.kill();
    await cleanup();
    throw new PayPointError(ErrorCode.DeviceNotReady, `cannot make a pty pair: ${(e as Error).message}`, {}, { cause: e });
  }
  return {
    a,
    b,
    async close() {
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await exited;
      }
      await cleanup();
    },
  };
}
