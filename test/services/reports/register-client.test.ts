/**
 * The Register client against an independent strict server (spyne + lxml validator, serving the 1C-shaped
 * contract): every message the kiosk sends must pass the schema (types, namespaces, element order, order
 * items) and carry exactly the report's values.
 */
import t from 'tap';
import { ProcessingSchema } from '../../../src/config/schema.js';
import { ErrorCode } from '../../../src/errors.js';
import type { Report } from '../../../src/base/types.js';
import { RegisterClient } from '../../../src/services/reports/register-client.js';
import { checkedRegisterArgs } from '../../../src/services/reports/report-check.js';
import { soapPost } from '../../helpers/daemon.js';
import { startProcessingServer } from './processing-server.js';

const NS = 'http://www.stampsoft.ru/processing';
const POS = 'http://www.stampsoft.ru/pos';

function report(uid: string, over: Partial<Report> = {}): Report {
  return {
    terminal_id: 'KIOSK-7',
    uid,
    amount: 18827,
    pay_amount: 20000,
    charge_amount: 1173,
    rest_amount: 173,
    pay_type: 0,
    order: [
      { id: '4600001', name: 'Хлеб «Бородинский» & <молоко>', count: '1', cost: 5990 },
      { id: 'W-17', name: 'Яблоки (вес)', count: '0.375', cost: 12900 },
      { id: ' spaced ', name: '', count: '12.000', cost: 0 },
    ],
    time: 1_767_225_600,
    ...over,
  };
}

t.test('every Register passes the strict server and carries the report exactly', async (t) => {
  const srv = await startProcessingServer();
  t.teardown(() => srv.stop());
  const client = await RegisterClient.create(ProcessingSchema.parse({ url: srv.url, path: '/base/ws/processing.1cws', timeout_s: 10 }));
  t.teardown(() => client.close());

  const sent: Report[] = [
    report('u-cash'),
    report('u-card', { pay_type: 1, pay_amount: 18827, charge_amount: 0, rest_amount: 0 }),
    report('u-empty-order', { order: [] }),
    report('u-big', { amount: 2147483647, pay_amount: 2147483647, charge_amount: 0, rest_amount: 0, time: 2147483647 }),
    report('u-cancelled-cash-kept', { amount: 0, pay_amount: 5000, charge_amount: 5000, rest_amount: 3000 }),
    report('u-many', { order: Array.from({ length: 50 }, (_, i) => ({ id: `id${i}`, name: `item ${i}`, count: `${i + 1}.5`, cost: i * 100 })) }),
  ];
  for (const r of sent) {
    const o = await client.register(r);
    t.equal(o.cls, 'true', `${r.uid} delivered (${o.detail})`);
  }
  const got = srv.received();
  t.equal(got.length, sent.length, 'one Register per report');
  for (const [i, r] of sent.entries()) {
    const g = got[i];
    t.equal(g.status, 200, `${r.uid}: the lxml validator accepted it`);
    t.equal(g.result, 'true');
    t.same(g.values, { ...r, order: r.order.map((it) => ({ ...it })) }, `${r.uid}: values as sent`);
    // Namespaces: Register and its children in the service namespace; order items in the pos namespace.
    t.match(g.raw, new RegExp(`<Register xmlns="${NS}">`), 'Register in the service namespace');
    if (r.order.length) t.match(g.raw, new RegExp(`<(\\w+):orderitem xmlns:\\1="${POS}">`), 'orderitem in the pos namespace');
    const order = [...g.raw.matchAll(/<(?:\w+:)?(terminal_id|uid|amount|pay_amount|charge_amount|rest_amount|pay_type|order|time)[ >]/g)].map((m) => m[1]);
    t.same(order, ['terminal_id', 'uid', 'amount', 'pay_amount', 'charge_amount', 'rest_amount', 'pay_type', 'order', 'time'], 'element order as in the contract');
  }
  t.end();
});

t.test('the stand-in server is strict: a Register with elements out of order is refused (the check above can fail)', async (t) => {
  const srv = await startProcessingServer();
  t.teardown(() => srv.stop());
  const body = `<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><Register xmlns="${NS}"><uid>x</uid><terminal_id>T</terminal_id><amount>1</amount><pay_amount>1</pay_amount><charge_amount>0</charge_amount><rest_amount>0</rest_amount><pay_type>0</pay_type><order/><time>1</time></Register></soap:Body></soap:Envelope>`;
  const r = await soapPost(srv.url, body, { SOAPAction: `"${NS}#processing:Register"` });
  t.equal(r.status, 500);
  t.equal(srv.received()[0].result, 'invalid');
  const wrongNs = body.replace(`<Register xmlns="${NS}"><uid>x</uid><terminal_id>T</terminal_id>`, `<Register xmlns="${NS}"><terminal_id>T</terminal_id><uid>x</uid>`).replace('<order/>', `<order><orderitem><id>1</id><name>a</name><count>1</count><cost>1</cost></orderitem></order>`);
  const r2 = await soapPost(srv.url, wrongNs, { SOAPAction: `"${NS}#processing:Register"` });
  t.equal(r2.status, 500, 'order items outside the pos namespace are refused');
  t.equal(srv.received()[1].result, 'invalid');
  t.end();
});

t.test('a configured namespace and service name are what goes on the wire', async (t) => {
  const ns = 'urn:example:kiosk-reports';
  const srv = await startProcessingServer({ ns, service: 'kiosk' });
  t.teardown(() => srv.stop());
  const client = await RegisterClient.create(ProcessingSchema.parse({ url: srv.url, namespace: ns, service: 'kiosk', timeout_s: 10 }));
  t.teardown(() => client.close());
  t.equal((await client.register(report('u-ns'))).cls, 'true');
  t.match(srv.received()[0].raw, `<Register xmlns="${ns}">`);
  t.end();
});

t.test('values the schema forbids are never sent', async (t) => {
  const bad: Array<[string, Partial<Report>]> = [
    ['amount', { amount: 'abc' as unknown as number }],
    ['amount', { amount: 1.5 }],
    ['pay_amount', { pay_amount: 2 ** 31 }],
    ['charge_amount', { charge_amount: Number.NaN }],
    ['pay_type', { pay_type: 2 as 0 }],
    ['uid', { uid: '' }],
    ['terminal_id', { terminal_id: 'T\u0001' }],
    ['order[0].count', { order: [{ id: '1', name: 'a', count: '1e3', cost: 1 }] }],
    ['order[0].cost', { order: [{ id: '1', name: 'a', count: '1', cost: '5' as unknown as number }] }],
    ['time', { time: -1 }],
  ];
  for (const [field, over] of bad) {
    t.throws(() => checkedRegisterArgs(report('u', over)), { code: ErrorCode.ReportInvalid, context: { field } }, field);
  }
  const srv = await startProcessingServer();
  t.teardown(() => srv.stop());
  const client = await RegisterClient.create(ProcessingSchema.parse({ url: srv.url }));
  t.teardown(() => client.close());
  const o = await client.register(report('u-bad', { amount: 'abc' as unknown as number }));
  t.equal(o.cls, 'invalid');
  t.equal(srv.received().length, 0, 'nothing reached the server');
  t.end();
});
