/**
 * Boots the REAL daemon (bin/paypoint serve, compiled dist/) as a child process for integration tests,
 * on a free port and a fresh data directory. `make test` builds dist/ first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createServer, type Server } from 'node:net';
import { request } from 'node:http';
import { lastAnswer, waitFor } from './wait.js';

export const REPO = resolve(import.meta.dirname, '../..');
export const BIN = join(REPO, 'bin/paypoint');

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
    s.on('error', rej);
  });
}

/**
 * `n` distinct free ports. Picked one at a time (freePort), the kernel may hand back a port it just
 * freed: one set of four in about 500 held a duplicate here, and qemu then refused its host forwarding
 * ("Could not set up host forwarding rule") on a long power-cut run. Every listener is held until all
 * are picked, so the ports differ.
 */
export async function freePorts(n: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const s = createServer();
      servers.push(s);
      await new Promise<void>((res, rej) => {
        s.on('error', rej);
        s.listen(0, '127.0.0.1', () => res());
      });
    }
    return servers.map((s) => (s.address() as { port: number }).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((res) => (s.listening ? s.close(() => res()) : res()))));
  }
}

export function tempDir(prefix = 'paypoint-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface DaemonProcess {
  child: ChildProcess;
  port: number;
  dataDir: string;
  url: string;
  /** All stdout lines (JSON logs) so far. */
  logs: string[];
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  kill9(): Promise<void>;
}

export interface StartOptions {
  dataDir?: string;
  port?: number;
  /** TOML configuration text; written to a file in the data directory's parent. */
  configText?: string;
  env?: NodeJS.ProcessEnv;
  /** Extra wrapper, e.g. ['strace', '-f', ...]: the daemon command is appended. */
  wrapper?: string[];
}

export async function startDaemonProcess(opts: StartOptions = {}): Promise<DaemonProcess> {
  const dataDir = opts.dataDir ?? tempDir();
  const port = opts.port ?? (await freePort());
  const args = ['serve', '--data-dir', dataDir, '--port', String(port)];
  // Each daemon gets its own status-page port unless the test's configuration sets one: tests run in
  // parallel, and the default 8081 would be taken by the first.
  if (!opts.configText?.includes('[status]')) args.push('--status-port', String(await freePort()));
  if (opts.configText !== undefined) {
    const cfg = join(tempDir('paypoint-cfg-'), 'paypoint.toml');
    writeFileSync(cfg, opts.configText);
    args.push('--config', cfg);
  }
  const cmd = opts.wrapper ? [...opts.wrapper, process.execPath, BIN, ...args] : [process.execPath, BIN, ...args];
  const child = spawn(cmd[0], cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
  const logs: string[] = [];
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  await new Promise<void>((res, rej) => {
    let buf = '';
    // A daemon that never got ready is killed: left running, its pipes kept the test process alive
    // until tap's 300 s timeout.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`daemon not ready in 20 s; stderr: ${stderr}`));
    }, 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        logs.push(line);
        if (line.includes('"msg":"ready"')) {
          clearTimeout(timer);
          res();
        }
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      rej(new Error(`daemon exited with ${code} before ready; stderr: ${stderr}`));
    });
  });
  return {
    child,
    port,
    dataDir,
    url: `http://127.0.0.1:${port}/`,
    logs,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
    async kill9() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/**
 * POSTs a SOAP envelope; returns status and body. A new connection each time (no keep-alive agent):
 * Node's global agent keeps sockets alive, and a request sent on a socket idle for the server's
 * keepAliveTimeout (5 s) races the server closing it ("socket hang up").
 */
export function soapPost(url: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((res, rej) => {
    const u = new URL(url);
    const req = request(
      { host: u.hostname, port: u.port, path: u.pathname + u.search, method: 'POST', headers: { 'Content-Type': 'text/xml; charset=utf-8', ...headers }, agent: false },
      (r) => {
        let b = '';
        r.setEncoding('utf8');
        r.on('data', (d) => (b += d));
        r.on('end', () => res({ status: r.statusCode ?? 0, body: b, headers: r.headers }));
      },
    );
    req.on('error', rej);
    req.end(body);
  });
}

export const POS_NS = 'http://www.stampsoft.ru/pos';

export function envelope(inner: string): string {
  return `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>${inner}</soap:Body></soap:Envelope>`;
}

export function payXml(uid: string, amount: number | string, items: Array<{ id: string; name: string; count: string | number; cost: number | string }> = []): string {
  const its = items.map((i) => `<p:orderitem><p:id>${i.id}</p:id><p:name>${i.name}</p:name><p:count>${i.count}</p:count><p:cost>${i.cost}</p:cost></p:orderitem>`).join('');
  return envelope(`<p:Pay xmlns:p="${POS_NS}"><p:uid>${uid}</p:uid><p:amount>${amount}</p:amount><p:order>${its}</p:order></p:Pay>`);
}

export function pollXml(uid: string): string {
  return envelope(`<p:PayPoll xmlns:p="${POS_NS}"><p:uid>${uid}</p:uid></p:PayPoll>`);
}

/** Extracts <return>N</return> from a response, or null for a fault. */
export function returnCode(body: string): number | null {
  const m = /<(?:\w+:)?return>(-?\d+)<\/(?:\w+:)?return>/.exec(body);
  return m ? Number(m[1]) : null;
}

/** Runs `paypoint sim ...` against a daemon; resolves with exit code and output. */
export function simCmd(d: { dataDir: string; port: number }, ...args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((res) => {
    const c = spawn(process.execPath, [BIN, 'sim', ...args, '--data-dir', d.dataDir, '--port', String(d.port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (x) => (out += x));
    c.stderr.on('data', (x) => (out += x));
    c.on('exit', (code) => res({ code, out }));
  });
}

/** Polls PayPoll until it answers `want` (or the time runs out); returns the last answer. */
export async function pollUntil(d: { url: string }, uid: string, want: number, timeoutMs = 30_000): Promise<number | null> {
  let got: number | null = null;
  await waitFor(`PayPoll ${uid} answering ${want}`, async () => (got = returnCode((await soapPost(d.url, pollXml(uid))).body)) === want, { timeoutMs, everyMs: 200 }).catch(lastAnswer);
  return got;
}

/** One plain HTTP request to 127.0.0.1 (no keep-alive agent); resolves with status, body and headers. */
export function httpRequest(port: number, path: string, method = 'GET', headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}
