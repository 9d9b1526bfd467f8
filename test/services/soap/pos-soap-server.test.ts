/**
 * The one door (docs/design.md, "One door for SOAP"): the strict reader's typed request reaches the
 * service as it was read, its result comes back in our response envelope, and a failure inside the
 * service is a soap:Server fault carrying its PayPoint code (contract 1, docs/contract.md "Faults").
 */
import t from 'tap';
import { ErrorCode, PayPointError } from '../../../src/errors.js';
import { silentLogger } from '../../../src/services/log.js';
import { PosSoapServer, type PosService } from '../../../src/services/soap/pos-soap-server.js';
import type { PayRequest } from '../../../src/payment/pay-request.js';
import { parseFault } from './support.js';

const NS = 'http://www.stampsoft.ru/pos';
const env = (body: string): string =>
  `<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:p="${NS}"><s:Body>${body}</s:Body></s:Envelope>`;
const payXml = env('<p:Pay><p:uid>u-1</p:uid><p:amount>250</p:amount><p:order><p:orderitem><p:id>7</p:id><p:name>Хлеб</p:name><p:count>0.500</p:count><p:cost>500</p:cost></p:orderitem></p:order></p:Pay>');
const pollXml = env('<p:PayPoll><p:uid>u-1</p:uid></p:PayPoll>');

async function start(service: PosService): Promise<{ url: string; stop: () => Promise<void> }> {
  const srv = new PosSoapServer({ port: 0, bind: '127.0.0.1', publicUrl: '', auth: null, maxBodyBytes: 65536, log: silentLogger(), service });
  await srv.start();
  return { url: `http://127.0.0.1:${srv.port()}/`, stop: () => srv.stop() };
}

async function post(url: string, op: string, xml: string): Promise<{ status: number; body: string }> {
  const r = await fetch(url, { method: 'POST', body: xml, headers: { 'Content-Type': 'text/xml; charset=utf-8', SOAPAction: `"${NS}#pos:${op}"` } });
  return { status: r.status, body: await r.text() };
}

t.test('the typed request goes to the service and its result into the response envelope', async (t) => {
  const seen: PayRequest[] = [];
  const s = await start({ pay: async (r) => (seen.push(r), -3), poll: async (uid) => (uid === 'u-1' ? 2 : -4) });
  t.teardown(s.stop);
  const pay = await post(s.url, 'Pay', payXml);
  t.equal(pay.status, 200);
  t.same(seen, [{ uid: 'u-1', amount: 250, order: [{ id: '7', name: 'Хлеб', count: '0.5', cost: 500 }] }], 'the request as the strict reader typed it');
  t.equal(pay.body, `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><PayResponse xmlns="${NS}"><return>-3</return></PayResponse></soap:Body></soap:Envelope>`);
  const poll = await post(s.url, 'PayPoll', pollXml);
  t.match(poll.body, /<PayPollResponse xmlns="http:\/\/www\.stampsoft\.ru\/pos"><return>2<\/return><\/PayPollResponse>/);
});

t.test('a failure inside the service is a soap:Server fault with its code, nothing more', async (t) => {
  const s = await start({
    pay: async () => {
      throw new PayPointError(ErrorCode.StoreWriteFailed, 'disk gone at /var/lib/secret/path');
    },
    poll: async () => {
      throw new Error('boom');
    },
  });
  t.teardown(s.stop);
  const pay = await post(s.url, 'Pay', payXml);
  t.equal(pay.status, 500);
  t.same(parseFault(pay.body), { faultcode: 'soap:Server', faultstring: 'internal error', code: ErrorCode.StoreWriteFailed });
  const poll = await post(s.url, 'PayPoll', pollXml);
  t.same(parseFault(poll.body), { faultcode: 'soap:Server', faultstring: 'internal error', code: ErrorCode.Internal });
});

t.test('a PayPoll body read before is answered the same, and its bytes under another SOAPAction are still refused', async (t) => {
  const seen: string[] = [];
  const s = await start({ pay: async () => 0, poll: async (uid) => (seen.push(uid), 1) });
  t.teardown(s.stop);
  for (let i = 0; i < 3; i++) t.match((await post(s.url, 'PayPoll', pollXml)).body, /<return>1<\/return>/);
  t.same(seen, ['u-1', 'u-1', 'u-1'], 'every poll reaches the engine');
  const wrong = await post(s.url, 'Pay', pollXml);
  t.equal(wrong.status, 500);
  t.equal(parseFault(wrong.body)?.faultcode, 'soap:Client', 'SOAPAction naming another operation than the body: refused');
  const other = pollXml.replace('u-1', 'u-2');
  await post(s.url, 'PayPoll', other);
  t.same(seen.at(-1), 'u-2', 'another body is read afresh');
});
