/**
 * The CCNET validator simulator (src/drivers/ccnet/ccnet-sim-main.ts) as its own process for integration
 * tests: one command line in, one JSON line out, in order.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { REPO } from './daemon.js';

export interface CcnetSimProcess {
  child: ChildProcess;
  /** Sends one command and resolves with its JSON answer. */
  ask(line: string): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

export async function startCcnetSim(port: string): Promise<CcnetSimProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'src/drivers/ccnet/ccnet-sim-main.ts'), '--port', port], { stdio: ['pipe', 'pipe', 'inherit'], cwd: REPO });
  const answers: Array<(o: Record<string, unknown>) => void> = [];
  let failed: Error | null = null;
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  void exited.then(() => {
    failed = new Error('the CCNET simulator exited');
    for (const a of answers.splice(0)) a({ error: failed.message });
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    answers.shift()?.(o);
  });
  const next = (): Promise<Record<string, unknown>> => new Promise((res) => (failed ? res({ error: failed.message }) : answers.push(res)));
  const ready = await next();
  if (!ready.ready) throw new Error(`the CCNET simulator did not start: ${JSON.stringify(ready)}`);
  return {
    child,
    ask(line) {
      const a = next();
      child.stdin!.write(line + '\n');
      return a;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}
