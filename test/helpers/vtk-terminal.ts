/**
 * The VTK terminal simulator (src/drivers/vtk/vtk-sim-main.ts) as its own process for integration tests:
 * it lives on across the daemon's death like a real terminal. TCP on loopback, manual mode by default.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { REPO } from './daemon.js';

export interface SimEvent {
  event: string;
  [k: string]: unknown;
}

export interface TerminalSim {
  child: ChildProcess;
  port: number;
  events: SimEvent[];
  send(line: string): void;
  waitFor(pred: (e: SimEvent) => boolean, what: string, timeoutMs?: number): Promise<SimEvent>;
  stop(): void;
}

/** TCP on a free loopback port, or `opts.serial`: the terminal on that serial device (one end of a pty pair). */
export async function startTerminal(extra: string[] = [], opts: { serial?: string } = {}): Promise<TerminalSim> {
  const link = opts.serial ? ['--serial', opts.serial] : ['--tcp', '0'];
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'src/drivers/vtk/vtk-sim-main.ts'), ...link, '--mode', 'manual', ...extra], { stdio: ['pipe', 'pipe', 'inherit'], cwd: REPO });
  const events: SimEvent[] = [];
  const waiters: Array<() => void> = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      events.push(JSON.parse(line) as SimEvent);
    } catch {
      return;
    }
    for (const w of waiters.splice(0)) w();
  });
  const sim: TerminalSim = {
    child,
    port: 0,
    events,
    send: (line) => child.stdin!.write(line + '\n'),
    waitFor(pred, what, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`terminal: no ${what} in ${timeoutMs} ms; events: ${JSON.stringify(events.slice(-8))}`)), timeoutMs);
        const check = (): void => {
          const hit = events.find(pred);
          if (hit) {
            clearTimeout(timer);
            resolve(hit);
          } else waiters.push(check);
        };
        check();
      });
    },
    stop: () => child.kill('SIGTERM'),
  };
  const ready = await sim.waitFor((e) => e.event === 'ready', 'ready');
  sim.port = (ready.tcp as number | undefined) ?? 0;
  return sim;
}

