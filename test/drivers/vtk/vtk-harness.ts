/**
 * Test harness for the VTK driver: a REAL pty pair from socat (docs/design.md, "Hardware without hardware") or a TCP listener on 127.0.0.1,
 * the terminal simulator on one end and the driver on the other, with fast protocol timers.
 * Waits are bounded by a hang guard only; no test asserts how long anything took.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CardOutcome } from '../../../src/drivers/interfaces.js';
import { openSerialLink } from '../../../src/drivers/vtk/serial-link.js';
import { VtkCardReader, type VtkCardReaderOptions, type VtkLog } from '../../../src/drivers/vtk/vtk-card-reader.js';
import { VtkTerminalSim, type VtkTerminalSimOptions } from '../../../src/drivers/vtk/vtk-terminal-sim.js';
import { listenTcp, TcpLink } from '../../../src/transports/tcp/tcp-link.js';
import { waitFor } from '../../helpers/wait.js';

export type Transport = 'serial' | 'tcp';
export const TRANSPORTS: Transport[] = ['serial', 'tcp'];

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'vtk-test-'));
}

export interface PtyPair {
  a: string;
  b: string;
  close(): Promise<void>;
}

/** `socat -d -d pty,raw,echo=0,link=A pty,raw,echo=0,link=B`: two real ptys wired to each other. */
export async function ptyPair(dir: string): Promise<PtyPair> {
  const a = join(dir, 'ptyA');
  const b = join(dir, 'ptyB');
  const child: ChildProcess = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  await waitFor('socat ptys', () => (existsSync(a) && existsSync(b) && /starting data transfer loop/.test(stderr)) || child.exitCode !== null);
  if (child.exitCode !== null) throw new Error(`socat exited: ${stderr}`);
  return {
    a,
    b,
    close: () =>
      new Promise<void>((res) => {
        if (child.exitCode !== null) return res();
        child.once('exit', () => res());
        child.kill('SIGTERM');
      }),
  };
}

export class LogCollector implements VtkLog {
  readonly lines: Array<{ level: string; msg: string; obj: object }> = [];
  debug(obj: object, msg: string): void {
    this.lines.push({ level: 'debug', msg, obj });
  }
  info(obj: object, msg: string): void {
    this.lines.push({ level: 'info', msg, obj });
  }
  warn(obj: object, msg: string): void {
    this.lines.push({ level: 'warn', msg, obj });
  }
  error(obj: object, msg: string): void {
    this.lines.push({ level: 'error', msg, obj });
  }
  has(re: RegExp): boolean {
    return this.lines.some((l) => re.test(l.msg));
  }
}

export interface Rig {
  transport: Transport;
  sim: VtkTerminalSim;
  dir: string;
  journalPath: string;
  /** Options that open the driver's end of the link. */
  linkOptions: Pick<VtkCardReaderOptions, 'framing' | 'open'>;
  /** A driver with fast timers on this rig; outcomes are collected in `outcomes`. */
  reader(over?: Partial<VtkCardReaderOptions> & { handler?: (o: CardOutcome) => Promise<void> }): Reader;
  close(): Promise<void>;
}

export interface Reader {
  card: VtkCardReader;
  outcomes: CardOutcome[];
  log: LogCollector;
  /** The next outcome not yet taken. */
  next(what?: string): Promise<CardOutcome>;
}

export const FAST: Partial<VtkCardReaderOptions> = {
  keepaliveMs: 200,
  opTimeoutMs: 2_000,
  linkSlackMs: 300,
  reconnectMs: 100,
  recoverWaitMs: 1_500,
  orphanGraceMs: 60_000,
};

export async function rig(transport: Transport, simOpts: Partial<VtkTerminalSimOptions> = {}): Promise<Rig> {
  const dir = tempDir();
  const sim = new VtkTerminalSim({ framing: transport, authMs: 100, dropForMs: 800, ...simOpts });
  const cleanups: Array<() => Promise<void>> = [];
  let linkOptions: Rig['linkOptions'];
  if (transport === 'serial') {
    const pty = await ptyPair(dir);
    cleanups.push(() => pty.close());
    const simLink = await openSerialLink(pty.b);
    sim.attach(simLink);
    cleanups.push(() => simLink.close());
    linkOptions = { framing: 'serial', open: () => openSerialLink(pty.a) };
  } else {
    const listener = await listenTcp('127.0.0.1', 0, (link) => sim.attach(link));
    cleanups.push(() => listener.close());
    linkOptions = { framing: 'tcp', open: () => TcpLink.connect('127.0.0.1', listener.port, 2_000) };
  }
  const readers: VtkCardReader[] = [];
  const journalPath = join(dir, 'vtk-ops.json');
  return {
    transport,
    sim,
    dir,
    journalPath,
    linkOptions,
    reader(over = {}) {
      const log = new LogCollector();
      const outcomes: CardOutcome[] = [];
      let taken = 0;
      const { handler, ...opts } = over;
      const card = new VtkCardReader({ ...linkOptions, journalPath, log, ...FAST, ...opts });
      card.onOutcome(async (o) => {
        if (handler) await handler(o);
        outcomes.push(o);
      });
      readers.push(card);
      return {
        card,
        outcomes,
        log,
        next: async (what = 'an outcome') => {
          const o = await waitFor(what, () => outcomes[taken]);
          taken++;
          return o;
        },
      };
    },
    async close() {
      for (const r of readers) await r.stop();
      await sim.close();
      for (const c of cleanups.reverse()) await c();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Starts a reader and waits until the terminal answers it. */
export async function started(r: Reader): Promise<Reader> {
  await r.card.start();
  await waitFor('terminal answering', () => r.card.health().state === 'ok');
  return r;
}
