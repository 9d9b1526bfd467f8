/**
 * Test helper: runs the independent strict 1C stand-in (spyne-processing-server.py, Debian's python3-spyne
 * with the lxml validator) as a child process and reads what it received.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:http';
import { freePort, tempDir } from '../../helpers/daemon.js';

const SCRIPT = join(import.meta.dirname, 'spyne-processing-server.py');
const PYTHON = '/usr/bin/python3';

export type Mode = 'ok' | 'false' | 'fault' | 'slow' | 'html502' | 'notxml' | '401';

export interface Received {
  status: number;
  result: 'true' | 'false' | 'fault' | 'invalid' | 'html502' | 'notxml' | '401';
  values: {
    terminal_id: string;
    uid: string;
    amount: number;
    pay_amount: number;
    charge_amount: number;
    rest_amount: number;
    pay_type: number;
    order: Array<{ id: string; name: string; count: string; cost: number }>;
    time: number;
  } | null;
  raw: string;
  /** Unix time, seconds (float). */
  at: number;
}

export interface ServerOptions {
  port?: number;
  ns?: string;
  service?: string;
  mode?: Mode;
  delay?: number;
  refuse?: string;
  login?: string;
  password?: string;
  cert?: string;
  key?: string;
  wsdl?: string;
}

export interface ProcessingServer {
  port: number;
  /** http(s)://127.0.0.1:PORT/ */
  url: string;
  recordFile: string;
  received(): Received[];
  /** Received Registers that the server accepted (answered true). */
  accepted(): Received[];
  control(mode: Mode, extra?: { delay?: number; refuse?: string }): Promise<void>;
  stop(): Promise<void>;
  /** Starts it again on the same port and record file (after stop). */
  start(): Promise<void>;
  running(): boolean;
}

export async function startProcessingServer(opts: ServerOptions = {}): Promise<ProcessingServer> {
  const port = opts.port ?? (await freePort());
  const recordFile = join(tempDir('paypoint-1c-'), 'received.jsonl');
  const scheme = opts.cert ? 'https' : 'http';
  let child: ChildProcess | null = null;
  let mode: Mode = opts.mode ?? 'ok';
  let extra = { delay: opts.delay ?? 0, refuse: opts.refuse ?? '' };

  const launch = async () => {
    const args = [SCRIPT, '--port', String(port), '--record', recordFile, '--mode', mode, '--delay', String(extra.delay), '--refuse', extra.refuse];
    if (opts.ns) args.push('--ns', opts.ns);
    if (opts.service) args.push('--service', opts.service);
    if (opts.login) args.push('--login', opts.login, '--password', opts.password ?? '');
    if (opts.cert) args.push('--cert', opts.cert, '--key', opts.key ?? '');
    if (opts.wsdl) args.push('--wsdl', opts.wsdl);
    const c = spawn(PYTHON, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    let err = '';
    c.stderr!.on('data', (d) => (err += d));
    await new Promise<void>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`spyne server not ready: ${err}`)), 20_000);
      c.stdout!.on('data', (d: Buffer) => {
        if (d.toString().includes('READY')) {
          clearTimeout(timer);
          res();
        }
      });
      c.on('exit', (code) => {
        clearTimeout(timer);
        rej(new Error(`spyne server exited ${code}: ${err}`));
      });
    });
  };
  await launch();

  const received = (): Received[] =>
    existsSync(recordFile)
      ? readFileSync(recordFile, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Received)
      : [];

  return {
    port,
    url: `${scheme}://127.0.0.1:${port}/`,
    recordFile,
    received,
    accepted: () => received().filter((r) => r.result === 'true'),
    async control(m, x = {}) {
      mode = m;
      extra = { delay: x.delay ?? extra.delay, refuse: x.refuse ?? extra.refuse };
      if (!child) return;
      if (opts.cert) throw new Error('control over TLS not supported by this helper');
      const q = `mode=${m}&delay=${extra.delay}&refuse=${encodeURIComponent(extra.refuse)}`;
      await new Promise<void>((res, rej) => {
        const r = request({ host: '127.0.0.1', port, path: `/__control?${q}` }, (resp) => {
          resp.resume();
          resp.on('end', () => res());
        });
        r.on('error', rej);
        r.end();
      });
    },
    async stop() {
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      child = null;
      const exited = new Promise((r) => c.on('exit', r));
      c.kill('SIGKILL');
      await exited;
    },
    async start() {
      if (child) return;
      await launch();
    },
    running: () => child !== null,
  };
}

/** Writes a self-signed certificate for 127.0.0.1 with the openssl CLI; returns its files. */
export async function selfSignedCert(): Promise<{ cert: string; key: string }> {
  const dir = tempDir('paypoint-tls-');
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  await new Promise<void>((res, rej) => {
    const c = spawn(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
      { stdio: 'ignore' },
    );
    c.on('exit', (code) => (code === 0 ? res() : rej(new Error(`openssl exited ${code}`))));
  });
  return { cert, key };
}
