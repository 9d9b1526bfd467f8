/** Outcome classes and back-off (src/services/reports/outcome.ts). */
import t from 'tap';
import { BACKOFF, backoffMs, classifyCurlCode, classifyHttp, isLinkFailure, soapFaultString } from '../../../src/services/reports/outcome.js';

const RESPONSE = (v: string) =>
  `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><m:RegisterResponse xmlns:m="urn:x"><m:return>${v}</m:return></m:RegisterResponse></soap:Body></soap:Envelope>`;
const FAULT = `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault><faultcode>soap:Server</faultcode><faultstring>Ошибка при вызове метода</faultstring></soap:Fault></soap:Body></soap:Envelope>`;

t.test('HTTP answers', async (t) => {
  const a = (status: number, body: string, contentType = 'text/xml') => ({ status, body, contentType });
  t.equal(classifyHttp(a(200, RESPONSE('true')), true).cls, 'true');
  t.equal(classifyHttp(a(200, RESPONSE('false')), false).cls, 'false');
  t.equal(classifyHttp(a(500, FAULT), undefined).cls, 'fault');
  t.match(classifyHttp(a(500, FAULT), undefined).detail, /Ошибка при вызове метода/);
  t.equal(classifyHttp(a(401, ''), undefined).cls, 'auth');
  t.equal(classifyHttp(a(403, '<html/>'), undefined).cls, 'auth');
  t.equal(classifyHttp(a(404, '<html><title>Not Found</title></html>', 'text/html'), undefined).cls, 'http4xx');
  t.equal(classifyHttp(a(502, '<html><title>502 Bad Gateway</title></html>', 'text/html'), undefined).cls, 'http5xx');
  t.equal(classifyHttp(a(503, ''), undefined).cls, 'http5xx');
  t.equal(classifyHttp(a(200, 'not xml'), undefined).cls, 'bad-response');
  t.equal(classifyHttp(a(302, ''), undefined).cls, 'bad-response', 'a redirect is not followed: the endpoint is wrong');
  t.equal(soapFaultString('<html>Fault</html>'), null, 'an HTML page mentioning Fault is no SOAP fault');
  t.end();
});

t.test('libcurl result codes', async (t) => {
  t.equal(classifyCurlCode(28), 'timeout');
  t.equal(classifyCurlCode(6), 'dns');
  t.equal(classifyCurlCode(7), 'refused');
  t.equal(classifyCurlCode(60), 'tls');
  t.equal(classifyCurlCode(35), 'tls');
  t.equal(classifyCurlCode(52), 'network', 'empty reply');
  t.equal(classifyCurlCode(56), 'network', 'connection reset');
  t.end();
});

t.test('link failures pause everything; refusals are per report', async (t) => {
  for (const c of ['timeout', 'dns', 'refused', 'tls', 'network', 'auth', 'http5xx', 'bad-response'] as const) t.ok(isLinkFailure(c), c);
  for (const c of ['false', 'fault', 'http4xx', 'invalid', 'true'] as const) t.notOk(isLinkFailure(c), c);
  t.end();
});

t.test('back-off grows per failure, is capped, jittered within [d/2, d], and much longer for refusals', async (t) => {
  const lo = () => 0;
  const hi = (n: number) => n - 1;
  t.equal(backoffMs('refused', 1, 1, lo), 1000);
  t.equal(backoffMs('refused', 1, 1, hi), 2000);
  t.equal(backoffMs('refused', 2, 1, hi), 4000);
  t.equal(backoffMs('refused', 50, 1, hi), BACKOFF.refused.maxMs, 'capped');
  t.ok(backoffMs('false', 1, 1, lo) >= 60 * backoffMs('refused', 1, 1, lo), '`false` waits far longer than a network error');
  t.ok(backoffMs('auth', 1, 1, lo) >= 60 * backoffMs('timeout', 1, 1, lo), '401 waits far longer than a network error');
  t.equal(backoffMs('false', 1, 0.001, hi), 300, 'retry_scale');
  const seen = new Set(Array.from({ length: 50 }, () => backoffMs('timeout', 3)));
  t.ok(seen.size > 10, 'real jitter');
  for (const v of seen) t.ok(v >= 4000 && v <= 8000, `within bounds: ${v}`);
  t.end();
});
