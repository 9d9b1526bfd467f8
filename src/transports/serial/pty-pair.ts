/**
 * A pty pair made by socat (`socat -d -d pty,raw,echo=0,link=A pty,raw,echo=0,link=B`), so a serial
 * driver and a simulated device can talk through real ttys: the simulated board and tests use it.
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

export async function openPtyPair(socat = 'socat'): Promise<PtyPair> {
  const dir = await mkdtemp(join(tmpdir(), 'paypoint-pty-'));
  const a = join(dir, 'A');
  const b = join(dir, 'B');
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
    await rm(dir, { recursive: true, force: true });
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
      await rm(dir, { recursive: true, force: true });
    },
  };
}
