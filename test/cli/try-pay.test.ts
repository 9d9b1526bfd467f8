/**
 * `paypoint try pay` plays the scanning terminal against a running daemon with simulated devices, while
 * `paypoint sim` plays the customer: paid (exit 0), cancelled (exit 1), busy (-2, exit 1), 401 without
 * credentials and an unreachable kiosk (exit 3), in English and Russian.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { BIN, freePort, simCmd, startDaemonProcess } from '../helpers/daemon.js';
import { waitFor } from '../helpers/wait.js';

interface Run {
  out: () => string;
  err: () => string;
  done: Promise<number | null>;
}

function tryPay(args: string[], lang = 'C'): Run {
  const c = spawn(process.execPath, [BIN, 'try', 'pay', ...args, '--interval', '0.2'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LANG: lang, LC_ALL: '', LC_MESSAGES: '' } });
  let out = '';
  let err = '';
  c.stdout.on('data', (d) => (out += d));
  c.stderr.on('data', (d) => (err += d));
  return { out: () => out, err: () => err, done: new Promise((r) => c.on('exit', r)) };
}

const d = await startDaemonProcess({ configText: '[pos]\nsession_timeout_s = 10\n[status]\nenabled = false\n[led]\nenabled = false\n' });
t.teardown(() => d.stop());

t.test('paid: Pay 0, in progress, the customer inserts 10 RUB, PayPoll 0, exit 0', async (t) => {
  const r = tryPay(['10', '--url', d.url]);
  await waitFor('Pay accepted', () => /Pay: 0 accepted/.test(r.out()));
  await waitFor('in progress', () => /PayPoll: 1 payment in progress/.test(r.out()));
  const coin = await simCmd(d, 'coin', '10');
  t.equal(coin.code, 0, coin.out);
  t.equal(await r.done, 0, r.out() + r.err());
  t.match(r.out(), /Pay uid=[0-9a-f-]{36} amount=1000 kopecks \(10,00 ₽\)/);
  t.match(r.out(), /PayPoll: 0 paid\nresult: PAID\n$/);
  t.equal(r.out().match(/PayPoll: 1/g)?.length, 1, 'each state printed once');
});

t.test('Russian: cancelled by the customer, exit 1; a second Pay while one runs gets -2', async (t) => {
  const r = tryPay(['5.50', '--url', d.url], 'ru_RU.UTF-8');
  await waitFor('Pay accepted', () => /Pay: 0 — принято/.test(r.out()));
  const busy = tryPay(['1', '--url', d.url], 'ru_RU.UTF-8');
  t.equal(await busy.done, 1, busy.out() + busy.err());
  t.match(busy.out(), /Pay: -2 — терминал занят/);
  t.match(busy.out(), /итог: НЕ ОПЛАЧЕНО/);
  t.equal((await simCmd(d, 'cancel')).code, 0);
  t.equal(await r.done, 1, r.out() + r.err());
  t.match(r.out(), /сумма=550 коп\. \(5,50 ₽\)/);
  t.match(r.out(), /PayPoll: 2 — отменено/);
});

t.test('401 without credentials on a kiosk that requires them; unreachable kiosk: exit 3', async (t) => {
  const a = await startDaemonProcess({ configText: '[api]\nrequire_auth = true\nlogin = "stamp"\npassword = "stampsoft"\n[status]\nenabled = false\n[led]\nenabled = false\n' });
  try {
    const no = tryPay(['10', '--url', a.url]);
    t.equal(await no.done, 3);
    t.match(no.err(), /HTTP 401: the kiosk requires a login and password/);
    const yes = tryPay(['10', '--url', a.url, '--login', 'stamp', '--password', 'stampsoft', '--timeout', '1']);
    t.equal(await yes.done, 3, 'accepted, then no final state within --timeout');
    t.match(yes.out(), /Pay: 0 accepted/);
    t.match(yes.err(), /no final state after 1 s: the payment is NOT confirmed/);
  } finally {
    await a.stop();
  }
  const port = await freePort();
  const down = tryPay(['10', '--url', `http://127.0.0.1:${port}`]);
  t.equal(await down.done, 3);
  t.match(down.err(), /cannot reach the kiosk at http:\/\/127\.0\.0\.1:\d+\/: ECONNREFUSED/);
});

t.test('usage: an amount that is not roubles is a usage error (exit 2) and nothing is sent', async (t) => {
  const r = tryPay(['ten', '--url', d.url]);
  t.equal(await r.done, 2);
  t.match(r.err(), /not an amount in roubles: ten/);
  t.equal(r.out(), '');
});
