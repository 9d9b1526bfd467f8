/**
 * SOAP 1.1 faults: the only place where errors become SOAP (DEVELOPERS.md practice 3). Contract 1:
 * malformed requests get soap:Client, internal failures soap:Server; HTTP 500; one-line reason; never a
 * stack trace. The PayPoint error code travels in <detail> so integrators can match it.
 */
import { PayPointError } from '../../errors.js';

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

export function faultEnvelope(kind: 'Client' | 'Server', reason: string, code: number): string {
  return (
    '<?xml version="1.0" encoding="utf-8"?>' +
    '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">' +
    '<soap:Body><soap:Fault>' +
    `<faultcode>soap:${kind}</faultcode>` +
    `<faultstring>${escapeXml(oneLine(reason))}</faultstring>` +
    `<detail><pp:error xmlns:pp="${FAULT_NS}"><pp:code>${code}</pp:code></pp:error></detail>` +
    '</soap:Fault></soap:Body></soap:Envelope>'
  );
}

/** A PayPointError from the SOAP area (2xx) is the client's fault; anything else is ours. */
export function faultFor(e: unknown): { kind: 'Client' | 'Server'; reason: string; code: number } {
  if (e instanceof PayPointError && e.area === 2) return { kind: 'Client', reason: e.message, code: e.code };
  const code = e instanceof PayPointError ? e.code : 901;
  return { kind: 'Server', reason: 'internal error', code };
}
