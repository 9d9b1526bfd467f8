/**
 * Every SOAP envelope the kiosk writes: the two responses and the faults. The only place where errors
 * become SOAP (docs/design.md, "One door for SOAP"). Contract 1 (docs/contract.md, "Faults"): malformed
 * requests get soap:Client, internal failures soap:Server; HTTP 500; one-line reason; never a stack
 * trace. The PayPoint error code travels in <detail> so integrators can match it.
 */
import { POS_NS } from '../../codecs/soap/pos-request.js';
import { ErrorCode, PayPointError } from '../../errors.js';

export const FAULT_NS = 'urn:paypoint:error';

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** One line, no control characters, bounded. */
export function oneLine(s: string, max = 200): string {
  // eslint-disable-next-line no-control-regex
  const t = s.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return t.length > max ? t.slice(0, max - 1) + '…' : t;
}

const ENV_OPEN = '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>';
const ENV_CLOSE = '</soap:Body></soap:Envelope>';

/**
 * The response of Pay or PayPoll (document/literal wrapped, pos.wsdl): `<OpResponse>` in the service's
 * namespace with one `<return>` xs:int. The result is one of a handful of codes, so each envelope is
 * built once and kept.
 */
const responses = new Map<string, Buffer>();
export function responseEnvelope(op: 'Pay' | 'PayPoll', result: number): Buffer {
  if (!Number.isSafeInteger(result)) throw new PayPointError(ErrorCode.Internal, `${op} result ${String(result)} is not an integer`);
  const key = op + result;
  let body = responses.get(key);
  if (!body) {
    body = Buffer.from(`${ENV_OPEN}<${op}Response xmlns="${POS_NS}"><return>${result}</return></${op}Response>${ENV_CLOSE}`, 'utf8');
    if (responses.size < 64) responses.set(key, body);
  }
  return body;
}

export function faultEnvelope(kind: 'Client' | 'Server', reason: string, code: number): string {
  return (
    ENV_OPEN +
    '<soap:Fault>' +
    `<faultcode>soap:${kind}</faultcode>` +
    `<faultstring>${escapeXml(oneLine(reason))}</faultstring>` +
    `<detail><pp:error xmlns:pp="${FAULT_NS}"><pp:code>${code}</pp:code></pp:error></detail>` +
    '</soap:Fault>' +
    ENV_CLOSE
  );
}

/** A PayPointError from the SOAP area (2xx) is the client's fault; anything else is ours. */
export function faultFor(e: unknown): { kind: 'Client' | 'Server'; reason: string; code: number } {
  if (e instanceof PayPointError && e.area === 2) return { kind: 'Client', reason: e.message, code: e.code };
  const code = e instanceof PayPointError ? e.code : 901;
  return { kind: 'Server', reason: 'internal error', code };
}
