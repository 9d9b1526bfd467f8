/**
 * What one Register attempt came to, and how long to wait before the next (contract 3: "`true` means
 * delivered; `false`, a fault, an HTTP error or no network mean try again later with growing back-off").
 *
 * Two kinds of failure are told apart, because they call for different waiting:
 *  - the *link* failed (no network, server down, TLS, credentials, a proxy error): nothing about this
 *    report is wrong, every report would fail the same way, so the worker pauses as a whole and a cheap
 *    probe resumes it as soon as the server answers again;
 *  - the server *refused this report* (`false`, a SOAP fault, another 4xx, a value our own schema check
 *    rejects): this report waits on its own back-off and the others go on (a refused report never blocks).
 */
import { randomInt } from 'node:crypto';

export type OutcomeClass =
  | 'true'
  | 'false'
  | 'fault'
  | 'auth'
  | 'http4xx'
  | 'http5xx'
  | 'timeout'
  | 'dns'
  | 'refused'
  | 'tls'
  | 'network'
  | 'bad-response'
  | 'invalid';

export interface Outcome {
  cls: OutcomeClass;
  /** One line for the log and the status page (never a secret, never a whole body). */
  detail: string;
  httpStatus: number | null;
  ms: number;
}

/** Failures that say nothing about the report itself: the worker pauses as a whole (see top). */
export const LINK_CLASSES: ReadonlySet<OutcomeClass> = new Set(['auth', 'http5xx', 'timeout', 'dns', 'refused', 'tls', 'network', 'bad-response']);

/** Link failures that a TCP probe can see end (the network or the server coming back). */
export const PROBE_CLASSES: ReadonlySet<OutcomeClass> = new Set(['timeout', 'dns', 'refused', 'network']);

export function isLinkFailure(cls: OutcomeClass): boolean {
  return LINK_CLASSES.has(cls);
}

/**
 * Back-off per class, milliseconds: first delay and ceiling. Seconds for a network error (it usually heals
 * by itself and the probe cuts the wait short), minutes for a server error, much longer for a refusal
 * (`false`, a fault, 401/403: a person has to fix something on the 1C side; retrying every few seconds would
 * only fill 1C's log).
 */
export const BACKOFF: Readonly<Record<Exclude<OutcomeClass, 'true'>, { firstMs: number; maxMs: number }>> = {
  timeout: { firstMs: 2_000, maxMs: 60_000 },
  dns: { firstMs: 2_000, maxMs: 60_000 },
  refused: { firstMs: 2_000, maxMs: 60_000 },
  network: { firstMs: 2_000, maxMs: 60_000 },
  http5xx: { firstMs: 10_000, maxMs: 5 * 60_000 },
  'bad-response': { firstMs: 30_000, maxMs: 15 * 60_000 },
  tls: { firstMs: 60_000, maxMs: 30 * 60_000 },
  auth: { firstMs: 5 * 60_000, maxMs: 60 * 60_000 },
  http4xx: { firstMs: 5 * 60_000, maxMs: 2 * 60 * 60_000 },
  fault: { firstMs: 2 * 60_000, maxMs: 2 * 60 * 60_000 },
  false: { firstMs: 5 * 60_000, maxMs: 6 * 60 * 60_000 },
  invalid: { firstMs: 60 * 60_000, maxMs: 24 * 60 * 60_000 },
};

/**
 * Delay before attempt n+1 after n (>= 1) failures of this class in a row: exponential, capped, with
 * "equal jitter" (half fixed, half random) so that many kiosks that lost the same server do not all come
 * back in the same second. `scale` shrinks every delay (processing.retry_scale; tests).
 */
export function backoffMs(cls: Exclude<OutcomeClass, 'true'>, failures: number, scale = 1, random: (n: number) => number = (n) => randomInt(n)): number {
  const { firstMs, maxMs } = BACKOFF[cls];
  const exp = Math.min(maxMs, firstMs * 2 ** Math.min(30, Math.max(0, failures - 1)));
  const d = exp * scale;
  const half = Math.max(1, Math.floor(d / 2));
  return half + random(half + 1);
}

// libcurl's result codes (curl/curl.h) that the classification names.
const CURL = {
  COULDNT_RESOLVE_PROXY: 5,
  COULDNT_RESOLVE_HOST: 6,
  COULDNT_CONNECT: 7,
  OPERATION_TIMEDOUT: 28,
  SSL_CONNECT_ERROR: 35,
  PEER_FAILED_VERIFICATION: 60,
  SSL_CERTPROBLEM: 58,
  SSL_CIPHER: 59,
  SSL_CACERT_BADFILE: 77,
  SSL_SHUTDOWN_FAILED: 80,
  SSL_CRL_BADFILE: 82,
  SSL_ISSUER_ERROR: 83,
  SSL_PINNEDPUBKEYNOTMATCH: 90,
  SSL_INVALIDCERTSTATUS: 91,
  SSL_CLIENTCERT: 98,
} as const;
const TLS_CODES = new Set<number>([
  CURL.SSL_CONNECT_ERROR,
  CURL.PEER_FAILED_VERIFICATION,
  CURL.SSL_CERTPROBLEM,
  CURL.SSL_CIPHER,
  CURL.SSL_CACERT_BADFILE,
  CURL.SSL_SHUTDOWN_FAILED,
  CURL.SSL_CRL_BADFILE,
  CURL.SSL_ISSUER_ERROR,
  CURL.SSL_PINNEDPUBKEYNOTMATCH,
  CURL.SSL_INVALIDCERTSTATUS,
  CURL.SSL_CLIENTCERT,
]);

/** The class of a transport failure, from libcurl's result code. */
export function classifyCurlCode(code: number): OutcomeClass {
  if (code === CURL.OPERATION_TIMEDOUT) return 'timeout';
  if (code === CURL.COULDNT_RESOLVE_HOST || code === CURL.COULDNT_RESOLVE_PROXY) return 'dns';
  if (code === CURL.COULDNT_CONNECT) return 'refused';
  if (TLS_CODES.has(code)) return 'tls';
  return 'network';
}

/** What came back over HTTP, reduced to what the classification needs. */
export interface HttpAnswer {
  status: number;
  contentType: string;
  body: string;
}

/** The first `<faultstring>` of a SOAP 1.1 fault in the body, or null when the body is no SOAP fault. */
export function soapFaultString(body: string): string | null {
  if (!/<(?:[\w.-]+:)?Envelope[\s>]/.test(body) || !/<(?:[\w.-]+:)?Fault[\s>/]/.test(body)) return null;
  const m = /<(?:[\w.-]+:)?faultstring[^>]*>([\s\S]*?)<\/(?:[\w.-]+:)?faultstring>/.exec(body);
  return oneLine(m ? m[1] : 'SOAP fault');
}

/** Short, single-line, printable text for logs and the status page. */
export function oneLine(s: string, max = 200): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > max ? t.slice(0, max - 1) + '…' : t;
}

/**
 * Classifies an HTTP answer to Register. `parsed` is node-soap's reading of the body: the boolean `return`
 * when the body was a well-formed RegisterResponse, undefined otherwise.
 */
export function classifyHttp(a: HttpAnswer, parsed: boolean | undefined): { cls: OutcomeClass; detail: string } {
  if (a.status === 401 || a.status === 403) return { cls: 'auth', detail: `HTTP ${a.status}: the processing server refused the credentials` };
  const fault = soapFaultString(a.body);
  // 1C answers an exception in the web service's module with HTTP 500 and a SOAP fault: about this report.
  if (fault !== null) return { cls: 'fault', detail: `SOAP fault (HTTP ${a.status}): ${fault}` };
  if (a.status >= 500) return { cls: 'http5xx', detail: `HTTP ${a.status}${describeBody(a)}` };
  if (a.status >= 400) return { cls: 'http4xx', detail: `HTTP ${a.status}${describeBody(a)}` };
  if (a.status < 200 || a.status >= 300) return { cls: 'bad-response', detail: `HTTP ${a.status}${describeBody(a)}` };
  if (parsed === true) return { cls: 'true', detail: 'delivered' };
  if (parsed === false) return { cls: 'false', detail: 'the processing server answered false' };
  return { cls: 'bad-response', detail: `HTTP ${a.status}: not a RegisterResponse${describeBody(a)}` };
}

function describeBody(a: HttpAnswer): string {
  if (!a.body) return '';
  const title = /<title>([\s\S]*?)<\/title>/i.exec(a.body);
  return `: ${a.contentType || 'no content type'}${title ? ` "${oneLine(title[1], 80)}"` : ` "${oneLine(a.body, 80)}"`}`;
}
