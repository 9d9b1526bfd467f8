/**
 * What the benchmarks share: the daemon under test (the REAL compiled daemon, a child process, as a
 * kiosk runs it), a typed handle on autocannon (it ships no types), percentiles, RSS from /proc, and the
 * one way every benchmark prints its figures: the measurement, the baseline measured in the same run,
 * and the ratio against the issue's target. Nothing here asserts: targets are reported, not enforced.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { applyEvent, newSession } from '../src/payment/session.js';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { request } from 'node:http';
import { createConnection, type Socket } from 'node:net';
import { startDaemonProcess, type DaemonProcess } from '../test/helpers/daemon.js';

/** Status page and LED off (their fixed port would collide); no card reader (devices.card = "none") so a cancelled Pay ends at once. */
export const BENCH_CONFIG = '[status]\nenabled = false\n[led]\nenabled = false\n[devices]\ncard = "none"\n';

/**
 * The environment the unit gives the daemon (systemd/paypoint.service, its `Environment=` lines: the
 * V8 heap sizes and the malloc arena count, bench/README.md "Where memory goes"), so that the benchmarks
 * run the daemon as a kiosk runs it.
 */
export function unitEnvironment(unit = join(import.meta.dirname, '../systemd/paypoint.service')): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(unit, 'utf8').split('\n')) {
    const m = /^Environment=(.*)$/.exec(line.trim());
    if (!m) continue;
    // systemd's quoting: "NAME=value with spaces" or NAME=value, several assignments to a line.
    for (const a of m[1].match(/"[^"]*"|\S+/g) ?? []) {
      const kv = a.replace(/^"(.*)"$/, '$1');
      const eq = kv.indexOf('=');
      if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
  }
  return env;
}

/**
 * BENCH_PROFILE=DIR: the daemon writes a V8 CPU profile (and a sampling heap profile) into DIR when it
 * stops; `node --import tsx bench/profile-summary.ts DIR/*.cpuprofile` says where the time went.
 */
export function startBenchDaemon(dataDir?: string, extraConfig = ''): Promise<DaemonProcess> {
  const prof = process.env.BENCH_PROFILE;
  // node refuses --cpu-prof in NODE_OPTIONS: a shell puts the flags between node and the script.
  const wrapper = prof ? ['/bin/sh', '-c', `exec "$0" --cpu-prof --cpu-prof-dir='${prof}' --heap-prof --heap-prof-dir='${prof}' "$@"`] : undefined;
  return startDaemonProcess({ configText: BENCH_CONFIG + extraConfig, dataDir, wrapper, env: unitEnvironment() });
}

// --- autocannon (CommonJS, untyped): only the parts used here.
export interface AutocannonRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
}
export interface AutocannonOptions {
  url: string;
  connections?: number;
  duration?: number;
  amount?: number;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  requests?: AutocannonRequest[];
}
export interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number; max: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  duration: number;
}
const require = createRequire(import.meta.url);
const autocannonFn = require('autocannon') as (opts: AutocannonOptions, cb: (err: Error | null, res: AutocannonResult) => void) => unknown;

export function autocannon(opts: AutocannonOptions): Promise<AutocannonResult> {
  return new Promise((res, rej) => autocannonFn(opts, (err, r) => (err ? rej(err) : res(r))));
}

// --- figures
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function median(xs: number[]): number {
  return percentile([...xs].sort((a, b) => a - b), 50);
}

/** VmRSS of a process, in MiB, from /proc/PID/status. */
export function rssMiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]) / 1024;
}

/**
 * CPU time (user + system) a process has used so far, in ms, from /proc/PID/stat (clock ticks of
 * 10 ms: USER_HZ is 100 on Linux). Divided by the requests served, it is the cost of one request,
 * which a loaded machine moves much less than it moves latency.
 */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

/** RssAnon (heap, stacks: this process's own) and RssFile (the node binary, shared libraries, native addons). */
export function rssParts(pid: number): { anon: number; file: number } {
  const st = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)\\s+kB$`, 'm').exec(st)?.[1] ?? NaN) / 1024;
  return { anon: kb('RssAnon'), file: kb('RssFile') };
}

export interface Figure {
  /** What is measured. */
  name: string;
  value: number;
  unit: string;
  /** The baseline measured in the same run (null when the target is absolute). */
  baseline: { name: string; value: number } | null;
  /** The target, in words, and whether it is met (reported, never asserted). */
  target: string;
  ratio: number | null;
  met: boolean;
}

export function fmt(n: number, digits = 2): string {
  return Number.isFinite(n) ? n.toFixed(digits) : String(n);
}

export function printFigures(title: string, figures: Figure[]): void {
  process.stdout.write(`\n== ${title}\n`);
  for (const f of figures) {
    const base = f.baseline ? `   baseline ${f.baseline.name}: ${fmt(f.baseline.value)} ${f.unit}` : '';
    const ratio = f.ratio === null ? '' : `   ratio ${fmt(f.ratio)}`;
    process.stdout.write(`  ${f.name}: ${fmt(f.value)} ${f.unit}${base}${ratio}   target: ${f.target} -> ${f.met ? 'MET' : 'NOT MET'}\n`);
  }
}

// --- small HTTP and process helpers
export function post(port: number, body: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; contentType: string }> {
  return new Promise((res, rej) => {
    const req = request({ host: '127.0.0.1', port, path: '/', method: 'POST', headers: { 'Content-Type': 'text/xml; charset=utf-8', ...headers } }, (r) => {
      let b = '';
      r.setEncoding('utf8');
      r.on('data', (d) => (b += d));
      r.on('end', () => res({ status: r.statusCode ?? 0, body: b, contentType: String(r.headers['content-type'] ?? '') }));
    });
    req.on('error', rej);
    req.end(body);
  });
}

/** Spawns `node -e SCRIPT`; resolves once it prints a line containing `readyText`, with that line. */
export async function spawnNodeScript(script: string, readyText: string): Promise<{ pid: number; line: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((res, rej) => {
    let buf = '';
    child.stdout!.on('data', (d) => {
      buf += d;
      const l = buf.split('\n').find((x) => x.includes(readyText));
      if (l !== undefined) res(l);
    });
    child.on('exit', (code) => rej(new Error(`script exited with ${code} before ready`)));
  });
  return {
    pid: child.pid!,
    line,
    stop: () =>
      new Promise<void>((res) => {
        if (child.exitCode !== null) return res();
        child.on('exit', () => res());
        child.kill('SIGTERM');
      }),
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const PREFILL_SETTINGS = { terminalId: 'BENCH-1', timeoutMs: 120_000, reportCancelledWithCashKept: false, cardAvailable: true };

/**
 * Writes `n` paid sessions with pending reports into DATA_DIR/sessions.db (made by the real state
 * machine, in nedb's line format), so a benchmark starts with a full outbox.
 */
export function prefillPaidReports(dataDir: string, n: number): void {
  const now = Date.now();
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const s0 = newSession({ uid: `b-${i}`, amount: 1000, order: [{ id: '1', name: 'Хлеб', count: '1', cost: 1000 }] }, randomUUID(), now - n + i, PREFILL_SETTINGS).session;
    const s1 = applyEvent(s0, { type: 'cash', source: 'coin', value: 1000, device: 'coin-acceptor', ref: `r${i}` }, now - n + i, PREFILL_SETTINGS).session;
    const outbox = { state: 'pending', queuedAt: now - n + i, attempts: 0, nextAttemptAt: now - n + i, lastErrorClass: null, lastError: null, lastAttemptAt: null, refusals: 0, deliveredAt: null };
    lines.push(JSON.stringify({ ...s1, kind: 'session', outbox }));
  }
  lines.push(JSON.stringify({ $$indexCreated: { fieldName: 'uid', unique: false, sparse: true } }));
  writeFileSync(join(dataDir, 'sessions.db'), lines.join('\n') + '\n');
}

/**
 * A lean keep-alive HTTP/1.1 client for latency figures: one TCP connection, the request's bytes built
 * before the clock starts and written in one call, the response framed by its Content-Length (the
 * daemon and the floor servers always send one). node's `http.request` costs ~0.3 ms of its own per
 * call on this machine (agent, parser, stream objects, several event-loop turns), which is the client's
 * latency, not the server's (bench/README.md, "Pay"); both sides of a comparison use the same client.
 */
export class LeanHttpClient {
  private sock: Socket | null = null;
  private buf: Buffer = Buffer.alloc(0);
  private waiter: { resolve: (r: { status: number; body: string }) => void; reject: (e: Error) => void } | null = null;

  constructor(private readonly port: number) {}

  /** The request's bytes (POST / with a SOAP 1.1 Content-Type), made outside any timed section. */
  static postBytes(body: string, headers: Record<string, string> = {}): Buffer {
    const b = Buffer.from(body, 'utf8');
    const h = { Host: '127.0.0.1', 'Content-Type': 'text/xml; charset=utf-8', 'Content-Length': String(b.length), ...headers };
    const head = `POST / HTTP/1.1\r\n${Object.entries(h).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
    return Buffer.concat([Buffer.from(head, 'latin1'), b]);
  }

  private connect(): Promise<Socket> {
    if (this.sock) return Promise.resolve(this.sock);
    return new Promise((res, rej) => {
      const s = createConnection({ host: '127.0.0.1', port: this.port, noDelay: true }, () => {
        s.off('error', rej);
        this.sock = s;
        res(s);
      });
      s.once('error', rej);
      s.on('data', (d: Buffer) => this.onData(d));
      s.on('close', () => {
        this.sock = null;
        this.waiter?.reject(new Error('connection closed before the response'));
        this.waiter = null;
      });
      s.on('error', () => undefined);
    });
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
    const end = this.buf.indexOf('\r\n\r\n');
    if (end < 0 || !this.waiter) return;
    const head = this.buf.toString('latin1', 0, end);
    const cl = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (!cl) return this.fail(new Error(`response without Content-Length: ${head.split('\r\n')[0]}`));
    const total = end + 4 + Number(cl[1]);
    if (this.buf.length < total) return;
    const status = Number(head.slice(9, 12));
    const body = this.buf.toString('utf8', end + 4, total);
    this.buf = this.buf.subarray(total);
    const w = this.waiter;
    this.waiter = null;
    w.resolve({ status, body });
  }

  private fail(e: Error): void {
    const w = this.waiter;
    this.waiter = null;
    this.sock?.destroy();
    w?.reject(e);
  }

  /** Connects (outside the timed section: call once before timing), then one request at a time. */
  async open(): Promise<void> {
    await this.connect();
  }

  request(bytes: Buffer): Promise<{ status: number; body: string }> {
    if (this.waiter) return Promise.reject(new Error('one request at a time'));
    if (!this.sock) return this.connect().then(() => this.request(bytes));
    const p = new Promise<{ status: number; body: string }>((resolve, reject) => (this.waiter = { resolve, reject }));
    this.sock.write(bytes);
    return p;
  }

  close(): void {
    this.sock?.destroy();
    this.sock = null;
  }
}
