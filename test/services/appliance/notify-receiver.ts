/**
 * Test helper: a real NOTIFY_SOCKET. Node cannot receive Unix datagrams, so socat does
 * (`UNIX-RECV`), printing each datagram's KEY=VALUE lines on its stdout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../helpers/daemon.js';

export interface NotifyReceiver {
  path: string;
  lines: string[];
  /** Resolves with the index of the first line at or after `from` that matches, waiting up to `ms`. */
  waitFor(re: RegExp, from?: number, ms?: number): Promise<number>;
  close(): void;
}

export async function notifyReceiver(): Promise<NotifyReceiver> {
  const path = join(tempDir('paypoint-notify-'), 'notify.sock');
  const child: ChildProcess = spawn('socat', ['-u', `UNIX-RECV:${path}`, 'STDOUT'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  let buf = '';
  const waiters = new Set<() => void>();
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    lines.push(...parts.filter((l) => l !== ''));
    for (const w of waiters) w();
  });
  for (let i = 0; i < 200 && !existsSync(path); i++) await new Promise((r) => setTimeout(r, 10));
  return {
    path,
    lines,
    waitFor(re, from = 0, ms = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const i = lines.findIndex((l, k) => k >= from && re.test(l));
          if (i >= 0) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(i);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no ${re} after line ${from} within ${ms} ms; got: ${lines.slice(from).join(' | ')}`));
        }, ms);
        waiters.add(check);
        check();
      });
    },
    close() {
      child.kill();
    },
  };
}
