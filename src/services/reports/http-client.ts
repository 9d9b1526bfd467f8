/**
 * node-soap's `httpClient` on node-libcurl (docs/contract.md, "3. The report"; docs/design.md, "SOAP (node-soap)": node-soap's client has no default timeout,
 * and a custom httpClient implements `request(rurl, data, cb, exheaders, exoptions)` returning axios-shaped
 * results). libcurl gives what the kiosk needs from the link to 1C:
 *  - TLS always verified (peer and host name), with an optional CA file of our own; no way to turn it off;
 *  - separate connect and total timeouts;
 *  - keep-alive: one curl handle, reused, keeps its connection open between reports (and TCP keep-alive);
 *  - HTTP Basic towards 1C when configured (credentials never logged);
 *  - the exact libcurl result code of a failure, so the outcome can be classified (outcome.ts).
 * Requests are served one at a time on the one handle, in call order.
 */
import { createRequire } from 'node:module';
import type { IExOptions, IHeaders, IHttpClient } from 'soap';
import type { HttpAnswer } from './outcome.js';
import { classifyCurlCode, type OutcomeClass } from './outcome.js';

// node-libcurl is CommonJS with a native addon; loaded the CommonJS way so ESM interop stays simple.
const require = createRequire(import.meta.url);
const libcurl = loadLibcurl();
type CurlHandle = InstanceType<typeof libcurl.Curl>;

/**
 * Debian's libcurl does TLS with OpenSSL, but links GnuTLS too (through librtmp and libldap, protocols
 * the handle never allows: PROTOCOLS below), and GnuTLS initialises itself when it is loaded (p11-kit
 * modules, its priority tables): ~0.7 MiB of a field unit's memory for a library no transfer uses
 * (bench/README.md, "Where memory goes"). GNUTLS_NO_IMPLICIT_INIT=1 (read by libgnutls's load-time
 * constructor; the name is in the library's strings, its effect measured, not checked against GnuTLS's
 * source) skips that. No GnuTLS code is reached: the handle allows HTTP and HTTPS only (PROTOCOLS), which
 * libcurl does over OpenSSL. Set only while the addon loads, so child processes do not inherit it.
 */
function loadLibcurl(): typeof import('node-libcurl') {
  const before = process.env.GNUTLS_NO_IMPLICIT_INIT;
  process.env.GNUTLS_NO_IMPLICIT_INIT = '1';
  try {
    return require('node-libcurl') as typeof import('node-libcurl');
  } finally {
    if (before === undefined) delete process.env.GNUTLS_NO_IMPLICIT_INIT;
    else process.env.GNUTLS_NO_IMPLICIT_INIT = before;
  }
}

export interface CurlHttpOptions {
  connectTimeoutMs: number;
  timeoutMs: number;
  /** PEM file of extra CAs trusted for the server ('' = the system's CAs only). */
  caFile: string;
  /** HTTP Basic credentials, or null. */
  auth: { login: string; password: string } | null;
  userAgent?: string;
}

/** A failed transfer: libcurl's code and its class. */
export class TransportError extends Error {
  constructor(
    readonly curlCode: number,
    readonly cls: OutcomeClass,
    message: string,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

/** Where one call's raw outcome is left for the caller (passed to node-soap as an extra option). */
export interface Capture {
  answer?: HttpAnswer;
  transport?: TransportError;
}

export interface AxiosLikeResponse {
  status: number;
  statusText: string;
  headers: Record<string, string>;
  data: string;
  config: { headers: Record<string, string> };
}

export class CurlHttpClient implements IHttpClient {
  private handle: CurlHandle | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly opts: CurlHttpOptions) {}

  /** The node-soap entry point: POST `data` to `rurl`; always resolves with the answer, whatever its status. */
  request(rurl: string, data: unknown, callback: (error: unknown, res?: unknown, body?: unknown) => unknown, exheaders?: IHeaders, exoptions?: IExOptions): never {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(exheaders ?? {})) headers[k] = String(v);
    const capture = (exoptions as { capture?: Capture } | undefined)?.capture;
    const p = this.send('POST', rurl, typeof data === 'string' ? data : String(data ?? ''), headers).then(
      (res) => {
        if (capture) capture.answer = { status: res.status, contentType: res.headers['content-type'] ?? '', body: res.data };
        callback(null, res, res.data);
        return res;
      },
      (err: unknown) => {
        if (capture && err instanceof TransportError) capture.transport = err;
        callback(err);
        throw err;
      },
    );
    // node-soap ignores the returned promise when a callback is given; keep a rejection from being unhandled.
    p.catch(() => undefined);
    return p as never;
  }

  /** A GET (the server's WSDL for `processing check`). */
  get(url: string): Promise<AxiosLikeResponse> {
    return this.send('GET', url, null, {});
  }

  close(): void {
    this.closed = true;
    this.handle?.close();
    this.handle = null;
  }

  private send(method: 'GET' | 'POST', url: string, body: string | null, headers: Record<string, string>): Promise<AxiosLikeResponse> {
    const run = this.chain.then(() => this.perform(method, url, body, headers));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private perform(method: 'GET' | 'POST', url: string, body: string | null, headers: Record<string, string>): Promise<AxiosLikeResponse> {
    if (this.closed) return Promise.reject(new TransportError(-1, 'network', 'http client closed'));
    const o = this.opts;
    let curl = this.handle;
    if (!curl) {
      // Options that never change are set once per handle (the handle lives as long as its connection).
      curl = this.handle = new libcurl.Curl();
      curl.setOpt('PROTOCOLS', libcurl.CurlProtocol.HTTP | libcurl.CurlProtocol.HTTPS);
      curl.setOpt('FOLLOWLOCATION', false);
      curl.setOpt('CONNECTTIMEOUT_MS', o.connectTimeoutMs);
      curl.setOpt('TIMEOUT_MS', o.timeoutMs);
      curl.setOpt('TCP_KEEPALIVE', 1);
      curl.setOpt('NOSIGNAL', true);
      // TLS is always verified (docs/contract.md, "3. The report": no silent downgrade); a CA file only adds trust.
      curl.setOpt('SSL_VERIFYPEER', 1);
      curl.setOpt('SSL_VERIFYHOST', 2);
      if (o.caFile) curl.setOpt('CAINFO', o.caFile);
      curl.setOpt('USERAGENT', o.userAgent ?? 'PayPoint');
      if (o.auth) {
        curl.setOpt('HTTPAUTH', libcurl.CurlAuth.Basic);
        curl.setOpt('USERNAME', o.auth.login);
        curl.setOpt('PASSWORD', o.auth.password);
      }
    }
    const hdrs = { ...headers };
    // No "Expect: 100-continue" round trip: 1C behind Apache answers it, IIS not always.
    const list = [...Object.entries(hdrs).map(([k, v]) => `${k}: ${v}`), 'Expect:'];
    curl.setOpt('URL', url);
    curl.setOpt('HTTPHEADER', list);
    if (method === 'POST') curl.setOpt('POSTFIELDS', body ?? '');
    else curl.setOpt('HTTPGET', true);
    return new Promise<AxiosLikeResponse>((resolve, reject) => {
      curl.removeAllListeners('end');
      curl.removeAllListeners('error');
      curl.once('end', (status: number, data: string | Buffer, rawHeaders: unknown) => {
        resolve({ status, statusText: statusTextOf(rawHeaders), headers: lastHeaders(rawHeaders), data: data.toString(), config: { headers: hdrs } });
      });
      curl.once('error', (e: Error, code: number) => {
        // A handle that failed mid-transfer is not trusted again: the next request gets a fresh one.
        curl.close();
        if (this.handle === curl) this.handle = null;
        reject(new TransportError(code, classifyCurlCode(code), `${libcurl.CurlCode[code] ?? 'CURLE_' + code}: ${e.message}`));
      });
      try {
        curl.perform();
      } catch (e) {
        curl.close();
        if (this.handle === curl) this.handle = null;
        reject(new TransportError(-1, 'network', (e as Error).message));
      }
    });
  }
}

type HeaderInfo = Record<string, unknown> & { result?: { code: number; reason: string } };

/** The headers of the final response (libcurl lists one block per response: 100, 401 before 200, ...). */
function lastHeaders(raw: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(raw) || raw.length === 0) return out;
  const last = raw[raw.length - 1] as HeaderInfo;
  for (const [k, v] of Object.entries(last)) if (k !== 'result') out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
  return out;
}

function statusTextOf(raw: unknown): string {
  if (!Array.isArray(raw) || raw.length === 0) return '';
  return ((raw[raw.length - 1] as HeaderInfo).result?.reason ?? '').trim();
}
