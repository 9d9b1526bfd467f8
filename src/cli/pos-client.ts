/**
 * The scanning terminal's side of the contract (docs/1c, section 1 of the contract), for `paypoint try
 * pay`: the same requests 1C's WSProxy sends (SOAP 1.1, document/literal wrapped, qualified elements,
 * soapAction "<ns>#pos:<Op>"), over plain HTTP with a bound on every request.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

export const POS_NS = 'http://www.stampsoft.ru/pos';

export interface OrderItem {
  id: string;
  name: string;
  count: string;
  cost: number;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function envelope(inner: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">\n<soap:Body>\n${inner}\n</soap:Body>\n</soap:Envelope>\n`;
}

export function payRequest(uid: string, amount: number, order: OrderItem[]): string {
  const items = order
    .map((i) => `<m:orderitem><m:id>${esc(i.id)}</m:id><m:name>${esc(i.name)}</m:name><m:count>${i.count}</m:count><m:cost>${i.cost}</m:cost></m:orderitem>`)
    .join('');
  return envelope(`<m:Pay xmlns:m="${POS_NS}"><m:uid>${esc(uid)}</m:uid><m:amount>${amount}</m:amount><m:order>${items}</m:order></m:Pay>`);
}

export function payPollRequest(uid: string): string {
  return envelope(`<m:PayPoll xmlns:m="${POS_NS}"><m:uid>${esc(uid)}</m:uid></m:PayPoll>`);
}

export interface HttpResult {
  status: number;
  body: string;
  headers: IncomingHttpHeaders;
}

export interface PosClientOptions {
  url: string;
  login?: string;
  password?: string;
  timeoutMs?: number;
}

export class PosClient {
  readonly url: URL;
  constructor(private readonly o: PosClientOptions) {
    this.url = new URL(o.url.endsWith('/') || /\?/.test(o.url) ? o.url : o.url + '/');
  }

  private send(method: 'GET' | 'POST', search: string, body?: string, headers: Record<string, string> = {}): Promise<HttpResult> {
    const u = this.url;
    const auth = this.o.login !== undefined ? { Authorization: `Basic ${Buffer.from(`${this.o.login}:${this.o.password ?? ''}`).toString('base64')}` } : {};
    const req = u.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const r = req(
        { host: u.hostname, port: u.port || undefined, path: u.pathname + search, method, headers: { ...auth, ...headers }, timeout: this.o.timeoutMs ?? 10_000, agent: false },
        (res) => {
          let b = '';
          res.setEncoding('utf8');
          res.on('data', (d) => (b += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: b, headers: res.headers }));
          res.on('error', reject);
        },
      );
      r.on('timeout', () => r.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
      r.on('error', reject);
      r.end(body);
    });
  }

  wsdl(): Promise<HttpResult> {
    return this.send('GET', '?wsdl');
  }

  call(op: 'Pay' | 'PayPoll', xml: string): Promise<HttpResult> {
    return this.send('POST', '', xml, { 'Content-Type': 'text/xml; charset=utf-8', SOAPAction: `"${POS_NS}#pos:${op}"` });
  }
}

/** The integer in `<return>` of a response, or null (a fault or something else). */
export function returnValue(body: string): number | null {
  const m = /<(?:[\w.-]+:)?return(?:\s[^>]*)?>\s*(-?\d+)\s*<\/(?:[\w.-]+:)?return>/.exec(body);
  return m ? Number(m[1]) : null;
}

export function faultString(body: string): string | null {
  const m = /<(?:[\w.-]+:)?faultstring(?:\s[^>]*)?>([\s\S]*?)<\/(?:[\w.-]+:)?faultstring>/.exec(body);
  return m ? m[1].trim() : null;
}
