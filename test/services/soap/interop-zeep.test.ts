/**
 * Interop with python3-zeep (a strict, independent SOAP client) against the REAL daemon (contract 1;
 * docs/design.md, "How the code is written"): WSDL import bound to service "pos" port "pos", Pay with 0, 1 and 3 order items,
 * PayPoll through every state, every result code, HTTP Basic on and off.
 */
import t from 'tap';
import { join } from 'node:path';
import { simCmd, startDaemonProcess, type DaemonProcess } from '../../helpers/daemon.js';
import { PeerProcess } from './peers/peer-process.js';
import { pollUntilNot, storedSession } from './support.js';

const PEER = join(import.meta.dirname, 'peers/zeep-peer.py');
const zeep = () => new PeerProcess('/usr/bin/python3', [PEER]);
type Item = { id: string; name: string; count: string; cost: number };


t.test('zeep against the daemon without authentication', async (t) => {
  const d: DaemonProcess = await startDaemonProcess();
  const z = zeep();
  t.teardown(async () => {
    await z.close();
    await d.stop();
  });
  const pay = (uid: string, amount: number, order: Item[] = []) => z.result({ cmd: 'call', op: 'Pay', uid, amount, order });
  const poll = (uid: string) => z.result({ cmd: 'call', op: 'PayPoll', uid });
  const sim = async (...args: string[]) => {
    const r = await simCmd(d, ...args);
    t.equal(r.code, 0, `paypoint sim ${args.join(' ')}: ${r.out.trim()}`);
  };

  const info = (await z.result({ cmd: 'connect', wsdl: `${d.url}?wsdl` })) as Record<string, unknown>;
  t.same(info.operations, ['Pay', 'PayPoll'], 'service pos, port pos has Pay and PayPoll');
  t.equal(info.soap11, true, 'the pos port is SOAP 1.1');
  t.same(info.soapActions, { Pay: 'http://www.stampsoft.ru/pos#pos:Pay', PayPoll: 'http://www.stampsoft.ru/pos#pos:PayPoll' });
  t.same(info.types, ['order', 'orderitem'], 'named global types in the pos namespace');
  t.equal(info.address, `http://127.0.0.1:${d.port}/`, 'soap:address is the address zeep reached');

  t.test('PayPoll: -4 unknown uid, -1 empty uid', async (t) => {
    t.equal(await poll('never-seen'), -4);
    t.equal(await poll(''), -1);
  });

  t.test('Pay -1 for each invalid value, and nothing is changed', async (t) => {
    const ok: Item = { id: '1', name: 'Хлеб', count: '1', cost: 100 };
    t.equal(await pay('inv-amount0', 0, [ok]), -1, 'amount 0');
    t.equal(await pay('inv-amount-neg', -5), -1, 'amount < 0');
    t.equal(await pay('inv-amount-max', 10_000_001), -1, 'amount over the default maximum');
    t.equal(await pay('inv-count0', 100, [{ ...ok, count: '0' }]), -1, 'count 0');
    t.equal(await pay('inv-count-neg', 100, [ok, { ...ok, count: '-0.5' }]), -1, 'count < 0');
    t.equal(await pay('inv-cost-neg', 100, [{ ...ok, cost: -1 }]), -1, 'cost < 0');
    t.equal(await pay('', 100, [ok]), -1, 'empty uid');
    t.equal(await pay('x'.repeat(129), 100), -1, 'over-long uid');
    for (const uid of ['inv-amount0', 'inv-amount-neg', 'inv-amount-max', 'inv-count0', 'inv-count-neg', 'inv-cost-neg']) {
      t.equal(await poll(uid), -4, `${uid} was not stored`);
    }
  });

  t.test('cash: Pay 0 with an empty order, 1 in progress, -2 busy, -3 duplicate, 0 paid with coins and a bill', async (t) => {
    t.equal(await pay('z-cash', 1500), 0);
    t.equal(await poll('z-cash'), 1);
    t.equal(await pay('z-other', 100), -2, 'busy: another session runs');
    t.equal(await poll('z-other'), -4, 'the refused Pay stored nothing');
    t.equal(await pay('z-cash', 1500), -3, 'the running uid again');
    await sim('coin', '10');
    t.equal(await poll('z-cash'), 1, 'part paid: still in progress');
    await sim('bill', '50');
    t.equal(await pollUntilNot(() => poll('z-cash') as Promise<number>, 1), 0, 'paid');
    t.equal(await pay('z-cash', 1500), -3, 'duplicate uid after it was paid');
    const s = storedSession(d.dataDir, 'z-cash')!;
    t.same(s.order, []);
    t.equal(s.credited, 6000);
  });

  t.test('card: Pay 0 with one order item, paid by card approval', async (t) => {
    const item: Item = { id: '4600000000001', name: 'Молоко 3,2% "Домик"', count: '1', cost: 8990 };
    t.equal(await pay('z-card', 8990, [item]), 0);
    t.equal(await poll('z-card'), 1);
    await sim('card', 'approve');
    t.equal(await pollUntilNot(() => poll('z-card') as Promise<number>, 1), 0);
    t.same(storedSession(d.dataDir, 'z-card')!.order, [item], 'the order as zeep sent it');
  });

  t.test('cancel: Pay 0 with three items (a fractional count), 2 after sim cancel', async (t) => {
    const order: Item[] = [
      { id: 'a1', name: 'Сыр весовой', count: '0.375', cost: 120_000 },
      { id: 'a2', name: 'Bread & <butter>', count: '2', cost: 5_000 },
      { id: 'a3', name: 'Вода', count: '12.5', cost: 0 },
    ];
    // amount need not equal the order's sum (contract 1): 45000 + 10000 + 0 = 55000, asked 50000.
    t.equal(await pay('z-cancel', 50_000, order), 0);
    t.equal(await poll('z-cancel'), 1);
    await sim('cancel');
    t.equal(await pollUntilNot(() => poll('z-cancel') as Promise<number>, 1), 2);
    const s = storedSession(d.dataDir, 'z-cancel')!;
    t.same(s.order, order, 'every item, the fractional count exact');
    t.equal(s.amount, 50_000);
    t.equal(s.orderTotal, 55_000, 'both recorded, not rejected');
    t.equal(await pay('z-cancel', 50_000), -3, 'a cancelled uid is remembered too');
    t.equal(await pay('z-after', 100), 0, 'the kiosk is free again');
    t.equal(await poll('z-after'), 1);
  });
});

t.test('zeep against the daemon with HTTP Basic', async (t) => {
  const d = await startDaemonProcess({ configText: '[api]\nrequire_auth = true\nlogin = "stamp"\npassword = "stampsoft"\n' });
  t.teardown(() => d.stop());
  const wsdl = `${d.url}?wsdl`;
  const basic = (login: string, password: string) => ({ Authorization: 'Basic ' + Buffer.from(`${login}:${password}`).toString('base64') });

  t.test('the WSDL GET: 401 with WWW-Authenticate: Basic without or with wrong credentials, 200 with the right ones', async (t) => {
    let r = await fetch(wsdl);
    t.equal(r.status, 401);
    t.match(r.headers.get('www-authenticate') ?? '', /^Basic realm="[^"]+"/);
    await r.text();
    for (const [l, p] of [
      ['stamp', 'wrong'],
      ['wrong', 'stampsoft'],
      ['stamp', ''],
      ['', ''],
      ['stamp', 'stampsoftX'],
    ]) {
      r = await fetch(wsdl, { headers: basic(l, p) });
      t.equal(r.status, 401, `${l}:${p} refused`);
      t.match(r.headers.get('www-authenticate') ?? '', /^Basic /);
      await r.text();
    }
    r = await fetch(wsdl, { headers: { Authorization: 'Bearer stampsoft' } });
    t.equal(r.status, 401, 'another scheme');
    await r.text();
    r = await fetch(wsdl, { headers: basic('stamp', 'stampsoft') });
    t.equal(r.status, 200);
    t.match(await r.text(), /<definitions/);
  });

  // One zeep process connects three times: no credentials, wrong ones, right ones.
  const z = zeep();
  t.teardown(() => z.close());
  t.test('zeep without credentials cannot import the WSDL', async (t) => {
    t.match(await z.send({ cmd: 'connect', wsdl }), { ok: false, error: 'HTTPError', status: 401 });
  });

  t.test('zeep with wrong credentials cannot import the WSDL', async (t) => {
    t.match(await z.send({ cmd: 'connect', wsdl, login: 'stamp', password: 'nope' }), { ok: false, error: 'HTTPError', status: 401 });
  });

  t.test('zeep with the right credentials imports the WSDL and calls Pay and PayPoll', async (t) => {
    const info = (await z.result({ cmd: 'connect', wsdl, login: 'stamp', password: 'stampsoft' })) as Record<string, unknown>;
    t.same(info.operations, ['Pay', 'PayPoll']);
    t.equal(await z.result({ cmd: 'call', op: 'PayPoll', uid: 'auth-1' }), -4);
    t.equal(await z.result({ cmd: 'call', op: 'Pay', uid: 'auth-1', amount: 100, order: [{ id: '1', name: 'x', count: '1', cost: 100 }] }), 0);
    t.equal(await z.result({ cmd: 'call', op: 'PayPoll', uid: 'auth-1' }), 1);
    const sim = await simCmd(d, 'coin', '1');
    t.equal(sim.code, 0, sim.out);
    t.equal(await pollUntilNot(() => z.result({ cmd: 'call', op: 'PayPoll', uid: 'auth-1' }) as Promise<number>, 1), 0);
  });

  t.test('a SOAP POST without credentials is refused before it is read', async (t) => {
    const r = await fetch(d.url, { method: 'POST', headers: { 'Content-Type': 'text/xml; charset=utf-8' }, body: '<x/>' });
    t.equal(r.status, 401);
    t.match(r.headers.get('www-authenticate') ?? '', /^Basic /);
    await r.text();
  });
});
