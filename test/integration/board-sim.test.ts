/**
 * End to end (README.md, "Cash hardware"): the real daemon on the reference board profile with every cash device simulated
 * at the driver level (pulse trains on simulated lines, CCNET bytes over a socat pty pair, hopper coin
 * pulses), paying with overpay and change, cancelling with a refund, and short of change.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SessionStore } from '../../src/services/store/session-store.js';
import { payXml, pollXml, pollUntil, returnCode, simCmd, soapPost, startDaemonProcess } from '../helpers/daemon.js';

const BOARD = '[devices]\ncoin = "board"\nbill = "board"\nhoppers = "board"\ncancel_button = "board"\nboard_simulated = true\ncard = "none"\n';


/**
 * Regression: a bill offered at once after Pay answered 0 met a CCNET validator not yet enabled (the enable
 * goes over the pty after the session is stored) and came back "the acceptor is closed", failing the
 * short-of-change case under load. A customer whose bill is handed back offers it again; so does this.
 */
async function insertWhenOpen(d: Parameters<typeof simCmd>[0], kind: 'coin' | 'bill', value: string) {
  const until = Date.now() + 15_000;
  for (;;) {
    const r = await simCmd(d, kind, value);
    if (!/acceptor is closed/.test(r.out) || Date.now() > until) return r;
    await new Promise((res) => setTimeout(res, 100));
  }
}

async function session(dataDir: string, uid: string) {
  return (await (await SessionStore.open(dataDir)).byUid(uid, 0))[0];
}

t.test('overpay with a coin and a CCNET bill: change from the hoppers', async (t) => {
  const d = await startDaemonProcess({ configText: BOARD });
  t.equal(returnCode((await soapPost(d.url, payXml('bs-1', 1500))).body), 0);
  const coin = await insertWhenOpen(d, 'coin', '10');
  t.equal(coin.code, 0, coin.out);
  const bill = await simCmd(d, 'bill', '50');
  t.equal(bill.code, 0, bill.out);
  t.equal(await pollUntil(d, 'bs-1', 0), 0);
  const levels = JSON.parse(readFileSync(join(d.dataDir, 'hopper-levels.json'), 'utf8')) as Record<string, number>;
  await d.stop();
  const s = await session(d.dataDir, 'bs-1');
  t.same([s.credited, s.payout?.due, s.payout?.paid, s.report?.rest_amount], [6000, 4500, 4500, 0]);
  t.same(s.credits.map((c) => [c.source, c.value]), [
    ['coin', 1000],
    ['bill', 5000],
  ]);
  t.same(levels, { 100: 100, 200: 0, 500: 99, 1000: 96 }, 'fill levels counted out and kept on disk');
});

t.test('the cancel button gives the cash back', async (t) => {
  const d = await startDaemonProcess({ configText: BOARD });
  t.equal(returnCode((await soapPost(d.url, payXml('bs-2', 5000))).body), 0);
  t.equal((await insertWhenOpen(d, 'coin', '5')).code, 0);
  t.equal((await simCmd(d, 'coin', '1')).code, 0);
  const c = await simCmd(d, 'cancel');
  t.equal(c.code, 0, c.out);
  t.equal(await pollUntil(d, 'bs-2', 2), 2);
  await d.stop();
  const s = await session(d.dataDir, 'bs-2');
  t.same([s.state, s.credited, s.payout?.purpose, s.payout?.paid, s.payout?.rest], ['cancelled', 600, 'refund', 600, 0]);
});

t.test('short of change: the validator is closed for the bill (docs/design.md, "Running low and full"); coins leave a rest amount', async (t) => {
  const d = await startDaemonProcess({ configText: BOARD + '[devices.sim]\nhopper_coins = [1000, 500, 100]\nhopper_fill = [0, 1, 2]\n' });
  t.equal(returnCode((await soapPost(d.url, payXml('bs-3', 100))).body), 0);
  // No bill of the table has a change the hoppers can pay: ENABLE BILL TYPES leaves every type off.
  const bill = await simCmd(d, 'bill', '50');
  t.equal(bill.code, 1, 'change of 49 RUB cannot be given: the bill is not taken');
  t.match(bill.out, /acceptor is closed/);
  t.equal((await simCmd(d, 'coin', '10')).code, 0);
  t.equal(await pollUntil(d, 'bs-3', 0), 0);
  await d.stop();
  const s = await session(d.dataDir, 'bs-3');
  t.same([s.credited, s.report?.charge_amount, s.report?.rest_amount], [1000, 900, 200], '700 paid out (500 + 2 x 100), 200 owed');
});
