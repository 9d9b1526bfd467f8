/**
 * The kiosk's SOAP service for the scanning terminal (contract 1, docs/contract.md). One door
 * (docs/design.md, "One door for SOAP"): node:http, then HTTP Basic on every request (WSDL included), a
 * body cap, no Content-Encoding, SOAP 1.1 Content-Type only, the strict request reader
 * (codecs/soap/pos-request.ts), whose typed request goes straight to the payment engine (`dispatch`
 * below); the answer and every fault are written by envelopes.ts. The WSDL and pos.xsd are served as the
 * files they are (wsdl/).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parsePosRequest, type PosRequest } from '../../codecs/soap/pos-request.js';
import { ErrorCode, PayPointError } from '../../errors.js';
import type { PayRequest } from '../../payment/pay-request.js';
import type { PayResult, PollResult } from '../../base/types.js';
import { BasicAuth } from '../http/basic-auth.js';
import { closeAfterResponse } from '../http/close-after-response.js';
import { BodyTooLarge, readBody } from '../http/read-body.js';
import type { Logger } from '../log.js';
import type { Config } from '../../config/schema.js';
import { faultEnvelope, faultFor, responseEnvelope } from './envelopes.js';
import { posWsdlText, posXsdText, wsdlWithAddress } from './wsdl-files.js';

export interface PosService {
  pay(req: PayRequest): Promise<PayResult>;
  poll(uid: string): Promise<PollResult>;
}

export interface PosSoapServerOptions {
  port: number;
  bind: string;
  /** Address for soap:address; empty: from the request's Host header. */
  publicUrl: string;
  auth: { login: string; password: string } | null;
  maxBodyBytes: number;
  log: Logger;
  service: PosService;
}

export class PosSoapServer {
  readonly http: Server;
  private readonly auth: BasicAuth | null;
  private readonly log: Logger;

  constructor(private readonly opts: PosSoapServerOptions) {
    this.log = opts.log;
    this.auth = opts.auth ? new BasicAuth(opts.auth.login, opts.auth.password) : null;
    // connectionsCheckingInterval: node enforces headersTimeout/requestTimeout only when it checks
    // (default every 30 s), which let a slow-loris client hold a socket up to 40 s instead of 10.
    const timeouts = { headersTimeout: 10_000, requestTimeout: 30_000, keepAliveTimeout: 5_000, connectionsCheckingInterval: 1_000 };
    // The latest response on each socket: a parse error after it (pipelined garbage, data after
    // `Connection: close`) must not get a second response written after (or into) the first.
    const inFlight = new WeakMap<object, ServerResponse>();
    const onRequest = (req: IncomingMessage, res: ServerResponse, expectsContinue: boolean): void => {
      inFlight.set(req.socket, res);
      this.handle(req, res, expectsContinue).catch((e) => this.sendFault(res, e));
    };
    this.http = createServer({ ...timeouts, maxHeaderSize: 16_384 }, (req, res) => onRequest(req, res, false));
    // Expect: 100-continue is answered by us, only once the request passed every check that needs no
    // body: an over-cap Content-Length or a missing login then gets its answer before the body is sent
    // (node would say "100 Continue" to anything).
    this.http.on('checkContinue', (req, res) => onRequest(req, res, true));
    // Slow-loris and idle sockets: bounded by the timeouts above and a connection cap.
    this.http.maxConnections = 256;
    this.http.on('clientError', (err: NodeJS.ErrnoException, socket) => {
      // The answer, then the socket is destroyed: end() alone left it half-open for as long as the
      // client kept sending (a slow-loris client was never dropped).
      setTimeout(() => socket.destroy(), 5_000).unref();
      const res = inFlight.get(socket);
      if (res?.headersSent) {
        // A response went out on this socket: no second one after it; close once it is written.
        if (!res.writableFinished) res.once('close', () => socket.destroy());
        else if (socket.writable) socket.end(() => socket.destroy());
        return;
      }
      if (!socket.writable) return void socket.destroy();
      const status =
        err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`, () => socket.destroy());
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.opts.port, this.opts.bind, () => {
        this.http.off('error', reject);
        resolve();
      });
    });
  }

  port(): number {
    return (this.http.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.http.close(() => resolve());
      this.http.closeIdleConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse, expectsContinue: boolean): Promise<void> {
    if (this.auth && !this.auth.check(req)) {
      res.writeHead(401, { 'WWW-Authenticate': this.auth.challenge(), 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('authentication required\n');
      return;
    }
    // Every SOAP call goes to "/": no URL parsing for it.
    const url = req.url === '/' ? ROOT_URL : new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' || req.method === 'HEAD') {
      if (url.pathname === '/' && /^wsdl$/i.test(url.search.slice(1).split('&')[0] ?? '')) {
        const body = wsdlWithAddress(this.addressFor(req));
        res.writeHead(200, { 'Content-Type': 'text/xml; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
        res.end(req.method === 'HEAD' ? undefined : body);
        return;
      }
      if (url.pathname === '/pos.xsd') {
        const body = posXsdText();
        res.writeHead(200, { 'Content-Type': 'text/xml; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
        res.end(req.method === 'HEAD' ? undefined : body);
        return;
      }
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('not found: the WSDL is at /?wsdl\n');
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { Allow: 'GET, HEAD, POST', 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('method not allowed\n');
      return;
    }
    if (url.pathname !== '/') {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('not found: SOAP requests go to /\n');
      return;
    }
    const enc = req.headers['content-encoding'];
    if (enc !== undefined && enc.trim().toLowerCase() !== 'identity') {
      throw new PayPointError(ErrorCode.SoapContentEncoding, 'Content-Encoding not accepted: send the body uncompressed');
    }
    checkContentType(req.headers['content-type']);
    let raw: Buffer;
    const declared = Number(req.headers['content-length']);
    if (expectsContinue && !(declared > this.opts.maxBodyBytes)) res.writeContinue();
    try {
      raw = await readBody(req, this.opts.maxBodyBytes);
    } catch (e) {
      if (e instanceof BodyTooLarge) throw new PayPointError(ErrorCode.SoapBodyTooLarge, `request body over the ${this.opts.maxBodyBytes}-byte cap`);
      throw e;
    }
    let text: string;
    try {
      text = UTF8.decode(raw);
    } catch {
      throw new PayPointError(ErrorCode.SoapNotXml, 'body is not valid UTF-8');
    }
    const soapAction = req.headers.soapaction;
    const parsed = this.parse(text, Array.isArray(soapAction) ? soapAction.join(',') : soapAction);
    const body = await this.dispatch(parsed);
    res.writeHead(200, { 'Content-Type': 'text/xml; charset=utf-8', 'Content-Length': body.length });
    res.end(body);
  }

  /**
   * The strict reader, remembering its last PayPoll readings: 1C polls one uid with the same bytes until
   * the payment is settled, and the reader is a pure function of the bytes and the SOAPAction, so a
   * repeated body is read once (bench/README.md, "Where the time goes"). Pay is always read afresh.
   */
  private readonly polls = new Map<string, PosRequest>();
  private parse(text: string, soapAction: string | undefined): PosRequest {
    const key = text.length <= 2048 ? `${soapAction ?? ''}\u0000${text}` : null;
    const hit = key === null ? undefined : this.polls.get(key);
    if (hit) return hit;
    const r = parsePosRequest(text, soapAction);
    if (key !== null && r.op === 'PayPoll') {
      if (this.polls.size >= 64) this.polls.delete(this.polls.keys().next().value!);
      this.polls.set(key, r);
    }
    return r;
  }

  /** The typed request to the engine, its result into the response envelope (contract 1). */
  private async dispatch(r: PosRequest): Promise<Buffer> {
    const svc = this.opts.service;
    if (r.op === 'Pay') return responseEnvelope('Pay', await svc.pay({ uid: r.uid, amount: r.amount, order: r.order }));
    return responseEnvelope('PayPoll', await svc.poll(r.uid));
  }

  private addressFor(req: IncomingMessage): string {
    if (this.opts.publicUrl) return this.opts.publicUrl.endsWith('/') ? this.opts.publicUrl : this.opts.publicUrl + '/';
    const host = req.headers.host;
    // Host is the client's word: keep it only when it looks like host[:port].
    if (typeof host === 'string' && /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]{1,253})(:\d{1,5})?$/.test(host)) return `http://${host}/`;
    return `http://${this.opts.bind === '0.0.0.0' ? 'localhost' : this.opts.bind}:${this.port()}/`;
  }

  private sendFault(res: ServerResponse, e: unknown): void {
    const f = faultFor(e);
    if (f.kind === 'Server') this.log.error({ err: { code: f.code, message: (e as Error)?.message } }, 'SOAP request failed');
    else this.log.info({ code: f.code, reason: f.reason }, 'SOAP request refused');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = faultEnvelope(f.kind, f.reason, f.code);
    const headers: Record<string, string | number> = { 'Content-Type': 'text/xml; charset=utf-8', 'Content-Length': Buffer.byteLength(body) };
    // A body we stopped reading cannot leave the connection reusable; close it so the client can read this.
    if (f.code === ErrorCode.SoapBodyTooLarge) {
      headers.Connection = 'close';
      closeAfterResponse(res.req);
    }
    res.writeHead(500, headers);
    res.end(body);
  }
}

const ROOT_URL = new URL('http://localhost/');
/** One decoder for every request: decode() without { stream: true } keeps no state between calls. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** SOAP 1.1 (text/xml) only; a charset other than UTF-8 is refused (contract 1). */
function checkContentType(ct: string | undefined): void {
  if (ct === 'text/xml; charset=utf-8' || ct === 'text/xml') return; // the usual header, accepted below too: no split, no regex
  if (!ct) throw new PayPointError(ErrorCode.SoapContentType, 'Content-Type missing: SOAP 1.1 needs text/xml');
  const [type, ...params] = ct.split(';').map((s) => s.trim().toLowerCase());
  if (type === 'application/soap+xml') throw new PayPointError(ErrorCode.SoapContentType, 'SOAP 1.2 (application/soap+xml) not supported: use SOAP 1.1');
  if (type !== 'text/xml') throw new PayPointError(ErrorCode.SoapContentType, `Content-Type ${type.slice(0, 60)} not accepted: SOAP 1.1 needs text/xml`);
  for (const p of params) {
    const m = /^charset\s*=\s*"?([^"]*)"?$/.exec(p);
    if (m && m[1] !== 'utf-8' && m[1] !== 'utf8') throw new PayPointError(ErrorCode.SoapContentType, `charset ${m[1].slice(0, 30)} not accepted: send UTF-8`);
  }
}

/** The listening part of PosSoapServerOptions, from the `[api]` section (the daemon and the configuration-error mode). */
export function apiListenOptions(api: Config['api']): Pick<PosSoapServerOptions, 'port' | 'bind' | 'publicUrl' | 'auth' | 'maxBodyBytes'> {
  return {
    port: api.port,
    bind: api.bind,
    publicUrl: api.public_url,
    auth: api.require_auth ? { login: api.login, password: api.password } : null,
    maxBodyBytes: api.max_body_bytes,
  };
}
