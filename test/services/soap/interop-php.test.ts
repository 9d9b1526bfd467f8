/**
 * Interop with php-soap (SoapClient in WSDL mode, SOAP 1.1) against the REAL daemon (contract 1;
 * docs/design.md, "How the code is written"): the essentials of the zeep suite from a second, independent SOAP stack.
 */
import t from 'tap';
import { join } from 'node:path';
import { simCmd, startDaemonProcess } from '../../helpers/daemon.js';
import { PeerProcess } from './peers/peer-process.js';
import { pollUntilNot, storedSession } from './support.js';

const PEER = join(import.meta.dirname, 'peers/php-peer.php');
const php = () => new PeerProcess('php', [PEER]);
type Item = { id: string; name: string; count: string; cost: number };


t.test('php-soap against the daemon without authentication', async (t) => {
  const d = await startDaemonProcess();
  const p = php();
  t.teardown(async () => {
    await p.close();
    await d.stop();
  });
  const pay = (uid: string, amount: number, order: Item[] = []) => p.result({ cmd: 'call', op: 'Pay', uid, amount, order });
  const poll = (uid: string) => p.result({ cmd: 'call', op: 'PayPoll', uid }) as Promise<number>;
  const sim = async (...args: string[]) => {
    const r = await simCmd(d, ...args);
    t.equal(r.code, 0, `paypoint sim ${args.join(' ')}: ${r.out.trim()}`);
  };

  const info = (await p.result({ cmd: 'connect', wsdl: `${d.url}?wsdl` })) as { functions: string[]; types: string[] };
  t.same(info.functions, ['PayPollResponse PayPoll(PayPoll $parameters)', 'PayResponse Pay(Pay $parameters)'], 'document/literal wrapped operations');
  t.ok(info.types.some((s) => /^struct orderitem \{\s*string id;\s*string name;\s*decimal count;\s*int cost;\s*\}$/.test(s)), 'orderitem as a named type');
  t.ok(info.types.some((s) => /^struct order \{\s*orderitem orderitem;\s*\}$/.test(s)), 'order as a named type');

  t.test('PayPoll -4 and -1', async (t) => {
    t.equal(await poll('php-never'), -4);
    t.equal(await poll(''), -1);
  });

  t.test('Pay -1 for invalid values', async (t) => {
    const ok: Item = { id: '1', name: 'Хлеб', count: '1', cost: 100 };
    t.equal(await pay('php-inv1', 0, [ok]), -1, 'amount 0');
    t.equal(await pay('php-inv2', 10_000_001), -1, 'over the maximum');
    t.equal(await pay('php-inv3', 100, [{ ...ok, count: '0' }]), -1, 'count 0');
    t.equal(await pay('php-inv4', 100, [{ ...ok, cost: -1 }]), -1, 'cost < 0');
    t.equal(await pay('', 100), -1, 'empty uid');
    t.equal(await poll('php-inv1'), -4);
  });

  t.test('Pay with three items (fractional count): 0, 1, -2 busy, -3 duplicate, 0 paid with a bill', async (t) => {
    const order: Item[] = [
      { id: 'w1', name: 'Яблоки', count: '1.254', cost: 15_990 },
      { id: 'w2', name: 'Соль', count: '1', cost: 2_500 },
      { id: 'w3', name: 'Пакет', count: '3', cost: 700 },
    ];
    const r = await p.send({ cmd: 'call', op: 'Pay', uid: 'php-cash', amount: 24_600, order });
    t.equal(r.result, 0);
    t.match(String(r.requestHeaders), /SOAPAction: "http:\/\/www\.stampsoft\.ru\/pos#pos:Pay"/i, 'php sends the WSDL soapAction');
    t.match(String(r.requestHeaders), /Content-Type: text\/xml; charset=utf-8/i);
    t.equal(await poll('php-cash'), 1);
    t.equal(await pay('php-busy', 100), -2);
    t.equal(await pay('php-cash', 24_600), -3);
    await sim('bill', '500');
    t.equal(await pollUntilNot(() => poll('php-cash'), 1), 0);
    t.same(storedSession(d.dataDir, 'php-cash')!.order, order, 'order stored as php sent it');
  });

  t.test('Pay with one item paid by card; an empty order cancelled', async (t) => {
    t.equal(await pay('php-card', 4_200, [{ id: '9', name: 'Кофе', count: '1', cost: 4_200 }]), 0);
    await sim('card', 'approve');
    t.equal(await pollUntilNot(() => poll('php-card'), 1), 0);
    t.equal(await pay('php-empty', 300), 0);
    t.same(storedSession(d.dataDir, 'php-empty')!.order, []);
    await sim('cancel');
    t.equal(await pollUntilNot(() => poll('php-empty'), 1), 2);
  });
});

t.test('php-soap against the daemon with HTTP Basic', async (t) => {
  const d = await startDaemonProcess({ configText: '[api]\nrequire_auth = true\nlogin = "stamp"\npassword = "stampsoft"\n' });
  t.teardown(() => d.stop());
  const wsdl = `${d.url}?wsdl`;

  t.test('without credentials the WSDL cannot be loaded', async (t) => {
    const p = php();
    t.teardown(() => p.close());
    t.match(await p.send({ cmd: 'connect', wsdl }), { ok: false, error: 'SoapFault', faultcode: 'WSDL' });
  });

  t.test('with wrong credentials the WSDL cannot be loaded', async (t) => {
    const p = php();
    t.teardown(() => p.close());
    t.match(await p.send({ cmd: 'connect', wsdl, login: 'stamp', password: 'bad' }), { ok: false, error: 'SoapFault', faultcode: 'WSDL' });
  });

  t.test('with the right credentials: WSDL, Pay and PayPoll', async (t) => {
    const p = php();
    t.teardown(() => p.close());
    await p.result({ cmd: 'connect', wsdl, login: 'stamp', password: 'stampsoft' });
    t.equal(await p.result({ cmd: 'call', op: 'PayPoll', uid: 'php-auth' }), -4);
    t.equal(await p.result({ cmd: 'call', op: 'Pay', uid: 'php-auth', amount: 100, order: [] }), 0);
    t.equal(await p.result({ cmd: 'call', op: 'PayPoll', uid: 'php-auth' }), 1);
  });
});
