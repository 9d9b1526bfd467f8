/**
 * The status page's HTTP server on its own port (docs/appliance.md): `/` (page), `/app.js`, `/app.css`,
 * `/api/status` (JSON snapshot), `/api/events` (server-sent events: a snapshot on every change and every
 * few seconds), `/metrics` (Prometheus text). GET and HEAD only, nothing changes state, except the two
 * cash actions (cash-actions.ts: POST, JSON, the status login or the admin secret); optional HTTP Basic
 * on everything.
 */
import type { Config } from '../../config/schema.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ErrorCode, PayPointError, isPayPointError } from '../../errors.js';
import { BasicAuth } from '../http/basic-auth.js';
import { BodyTooLarge, readBody } from '../http/read-body.js';
import type { CashActions } from './cash-actions.js';
import type { Logger } from '../log.js';
import type { StatusMetrics } from './metrics.js';
import { PAGE_CSS, PAGE_JS, pageHtml } from './page-assets.js';
import { CASH_JS } from './page-cash.js';
import type { StatusSnapshot } from './snapshot.js';

export interface StatusSource {
  snapshot(): Promise<StatusSnapshot>;
  /** Calls `cb` when something shown may have changed; returns the unsubscribe. */
  subscribe(cb: () => void): () => void;
}

/** The listening part of StatusServerOptions, from the `[status]` section (the daemon and the configuration-error mode). */
export function statusListenOptions(status: Config['status']): Pick<StatusServerOptions, 'port' | 'bind' | 'language' | 'auth'> {
  return {
    port: status.port,
    bind: status.bind,
    language: status.language,
    auth: status.require_auth ? { login: status.login, password: status.password } : null,
  };
}

export interface StatusServerOptions {
  port: number;
  bind: string;
  language: 'ru' | 'en';
  auth: { login: string; password: string } | null;
  source: StatusSource;
  metrics: StatusMetrics;
  log: Logger;
  /** Collection and refill (POST /api/cash/collect, /api/cash/refill); null: not offered. */
  cash?: CashActions | null;
  /** Snapshot pushed to event streams at least this often, ms. */
  heartbeatMs?: number;
  maxStreams?: number;
}

const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'Cache-Control': 'no-store',
};

export class StatusServer {
  readonly http: Server;
  private readonly auth: BasicAuth | null;
  private readonly streams = new Set<ServerResponse>();
  private unsubscribe: (() => void) | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private pushTimer: NodeJS.Timeout | null = null;

  constructor(private readonly opts: StatusServerOptions) {
    this.auth = opts.auth ? new BasicAuth(opts.auth.login, opts.auth.password, 'PayPoint status') : null;
    this.http = createServer({ headersTimeout: 10_000, requestTimeout: 30_000, keepAliveTimeout: 5_000, maxHeaderSize: 16_384 }, (req, res) => {
      this.handle(req, res).catch((e) => {
        opts.log.error({ err: { message: (e as Error).message } }, 'status page request failed');
        if (!res.headersSent) this.plain(res, 500, 'internal error\n');
        else res.destroy();
      });
    });
    this.http.maxConnections = 64;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onErr = (e: Error) => reject(new PayPointError(ErrorCode.StatusServer, `status page cannot listen on ${this.opts.bind}:${this.opts.port}: ${e.message}`, { port: this.opts.port }));
      this.http.once('error', onErr);
      this.http.listen(this.opts.port, this.opts.bind, () => {
        this.http.off('error', onErr);
        resolve();
      });
    });
    this.unsubscribe = this.opts.source.subscribe(() => this.schedulePush());
    this.heartbeat = setInterval(() => this.schedulePush(), this.opts.heartbeatMs ?? 5000);
    this.heartbeat.unref();
  }

  port(): number {
    return (this.http.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.pushTimer) clearTimeout(this.pushTimer);
    for (const s of this.streams) s.end();
    this.streams.clear();
    await new Promise<void>((resolve) => {
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
  }

  /** Coalesces bursts of changes (a payout is a change per coin) into one push. */
  private schedulePush(): void {
    if (this.pushTimer || this.streams.size === 0) return;
    this.pushTimer = setTimeout(() => {
      this.pushTimer = null;
      void this.push();
    }, 50);
  }

  private async push(): Promise<void> {
    if (this.streams.size === 0) return;
    const data = `event: status\ndata: ${JSON.stringify(await this.opts.source.snapshot())}\n\n`;
    for (const s of this.streams) s.write(data);
  }

  private plain(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
    res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', ...headers });
    res.end(text);
  }

  private send(req: IncomingMessage, res: ServerResponse, type: string, body: string): void {
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://status').pathname;
    if (url === '/api/cash/collect' || url === '/api/cash/refill') return this.cashAction(req, res, url === '/api/cash/collect' ? 'collect' : 'refill');
    if (this.auth && !this.auth.check(req)) {
      this.plain(res, 401, 'authentication required\n', { 'WWW-Authenticate': this.auth.challenge() });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      // Read-only page: nothing on this port changes the unit's state.
      this.plain(res, 405, 'read-only: GET and HEAD only\n', { Allow: 'GET, HEAD' });
      return;
    }
    const path = new URL(req.url ?? '/', 'http://status').pathname;
    switch (path) {
      case '/':
      case '/index.html':
        return this.send(req, res, 'text/html; charset=utf-8', pageHtml(this.opts.language));
      case '/app.js':
        return this.send(req, res, 'text/javascript; charset=utf-8', PAGE_JS);
      case '/cash.js':
        return this.send(req, res, 'text/javascript; charset=utf-8', CASH_JS);
      case '/app.css':
        return this.send(req, res, 'text/css; charset=utf-8', PAGE_CSS);
      case '/api/status':
        return this.send(req, res, 'application/json; charset=utf-8', JSON.stringify(await this.opts.source.snapshot()));
      case '/metrics':
        return this.send(req, res, this.opts.metrics.contentType, await this.opts.metrics.render(await this.opts.source.snapshot()));
      case '/api/events':
        return this.openStream(req, res);
      default:
        this.plain(res, 404, 'not found\n');
    }
  }

  private json(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
    const body = JSON.stringify(value);
    res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body), ...headers });
    res.end(body);
  }

  /**
   * A collection or refill. Who: the admin secret's holder (header X-PayPoint-Admin-Secret, the command
   * line) or the status page's login (HTTP Basic; the page's form). Without a status login configured
   * the page offers no action. JSON only: a cross-site form cannot send it without a preflight, which
   * this server never grants.
   */
  private async cashAction(req: IncomingMessage, res: ServerResponse, action: 'collect' | 'refill'): Promise<void> {
    const cash = this.opts.cash;
    const refuse = (status: number, code: number, message: string, headers: Record<string, string> = {}) => this.json(res, status, { error: { code, message } }, headers);
    if (!cash) return refuse(404, ErrorCode.StatusServer, 'cash actions are not offered here');
    if (req.method !== 'POST') return refuse(405, ErrorCode.StatusServer, 'POST only', { Allow: 'POST' });
    const secret = req.headers['x-paypoint-admin-secret'];
    let by: string;
    if (typeof secret === 'string') {
      if (!cash.adminSecret(secret)) return refuse(403, ErrorCode.StatusServer, 'admin secret does not match (or none is set on this unit)');
      by = 'admin-secret';
    } else if (this.auth && this.auth.check(req)) {
      by = `login:${this.opts.auth!.login}`;
    } else if (this.auth) {
      return refuse(401, ErrorCode.StatusServer, 'authentication required', { 'WWW-Authenticate': this.auth.challenge() });
    } else {
      return refuse(403, ErrorCode.StatusServer, 'cash actions need the status page login (status.require_auth) or the admin secret');
    }
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) return refuse(415, ErrorCode.StatusServer, 'Content-Type must be application/json');
    let body: unknown;
    try {
      body = JSON.parse((await readBody(req, 4096)).toString('utf8'));
    } catch (e) {
      return refuse(e instanceof BodyTooLarge ? 413 : 400, ErrorCode.CashInvalidCounts, e instanceof BodyTooLarge ? 'body too large' : 'body is not JSON');
    }
    try {
      const record = await cash.run(action, body, by);
      this.opts.log.info({ action, by, at: record.at }, 'cash action recorded');
      return this.json(res, 200, { record });
    } catch (e) {
      if (isPayPointError(e, ErrorCode.CashSessionOpen)) return refuse(409, e.code, e.message);
      if (isPayPointError(e, ErrorCode.CashInvalidCounts)) return refuse(400, e.code, e.message);
      throw e;
    }
  }

  private async openStream(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.streams.size >= (this.opts.maxStreams ?? 16)) {
      this.plain(res, 503, 'too many open status streams\n', { 'Retry-After': '10' });
      return;
    }
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive' });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    req.socket.setTimeout(0);
    this.streams.add(res);
    res.on('close', () => this.streams.delete(res));
    res.write(`retry: 2000\nevent: status\ndata: ${JSON.stringify(await this.opts.source.snapshot())}\n\n`);
  }
}
