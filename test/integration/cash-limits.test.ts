/**
 * Running low and full (docs/design.md, "Running low and full") on the real daemon with simulated
 * devices, driven by the customer (`paypoint sim`) and the operator (`paypoint cash ...`):
 *  - the cassette full (capacity from a board profile): a bill is refused at the validator, a coin still
 *    taken; status, /metrics and `paypoint cash` say so; a collection (refused while the payment is
 *    open, error 303) brings bills back by itself;
 *  - the hoppers low for the usual bill: a bill whose change cannot be paid is refused, one that fits
 *    the amount is taken; a refill (refused while a payment is open) brings the larger bill back.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { BIN, REPO, freePort, httpRequest, payXml, pollUntil, returnCode, simCmd, soapPost, startDaemonProcess, tempDir } from '../helpers/daemon.js';
import type { StatusSnapshot } from '../../src/services/status/snapshot.js';

const SECRET = 'cash-test-secret';

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; out: string }> {
  return new Promise((res) => {
    const c = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LANG: 'C.UTF-8', ...env } });
    let out = '';
    c.stdout.on('data', (x) => (out += x));
    c.stderr.on('data', (x) => (out += x));
    c.on('exit', (code) => res({ code, out }));
  });
}

async function boot(extra: string, capacity: number) {
  const profile = JSON.parse(readFileSync(join(REPO, 'board/profiles/reference-pi4.json'), 'utf8')) as { billValidator: { cassetteCapacity: number } };
  profile.billValidator.cassetteCapacity = capacity;
  const profilePath = join(tempDir('paypoint-profile-'), 'small-cassette.json');
  writeFileSync(profilePath, JSON.stringify(profile));
  const statusPort = await freePort();
  const configText =
    `[status]\nport = ${statusPort}\nbind = "127.0.0.1"\n[led]\nenabled = false\n` +
    `[unit]\nadmin_secret_sha256 = "${createHash('sha256').update(SECRET).digest('hex')}"\n` +
    `[devices]\nboard_profile = "${profilePath}"\n${extra}`;
  const d = await startDaemonProcess({ configText });
  const cfgFile = join(tempDir('paypoint-cfg-'), 'cli.toml');
  writeFileSync(cfgFile, configText + `[storage]\ndata_dir = "${d.dataDir}"\n`);
  const status = async (): Promise<StatusSnapshot> => JSON.parse((await httpRequest(statusPort, '/api/status')).body) as StatusSnapshot;
  const cash = (...args: string[]) => cli(['cash', ...args, '--config', cfgFile, '--lang', 'en'], { PAYPOINT_ADMIN_SECRET: SECRET });
  return { d, statusPort, status, cash };
}

async function pay(d: { url: string }, uid: string, kopecks: number): Promise<void> {
  const r = await soapPost(d.url, payXml(uid, kopecks, [{ id: '1', name: 'x', count: 1, cost: kopecks }]));
  if (returnCode(r.body) !== 0) throw new Error(`Pay ${uid}: ${r.body}`);
}

t.test('a full cassette refuses bills, keeps taking coins, and takes bills again after a collection', async (t) => {
  const { d, statusPort, status, cash } = await boot('', 2);
  t.teardown(() => d.stop());

  await pay(d, 'fill-1', 10_000);
  t.equal((await simCmd(d, 'bill', '50')).code, 0);
  t.equal((await simCmd(d, 'bill', '50')).code, 0);
  t.equal(await pollUntil(d, 'fill-1', 0), 0);
  let s = await status();
  t.same(s.cash.cassette, { bills: 2, capacity: 2, level: 'full' });
  t.same(s.cash.inventory.cassette, { 5000: 2 });
  t.ok(s.attention.some((a) => /bill cassette full/.test(a)), 'the page says so');
  t.match((await httpRequest(statusPort, '/metrics')).body, /paypoint_cash_cassette_full 1/);
  t.match((await httpRequest(statusPort, '/metrics')).body, /paypoint_cash_count\{place="cassette",value="5000"\} 2/);
  const shown = await cash();
  t.equal(shown.code, 0, shown.out);
  t.match(shown.out, /bill cassette: 2 bills, 100,00 ₽ \(capacity 2: FULL: collect\)/);

  await pay(d, 'full-1', 10_000);
  const refused = await simCmd(d, 'bill', '50');
  t.equal(refused.code, 1, 'the bill is refused at the validator');
  t.match(refused.out, /acceptor is closed/, 'closed at the validator (inhibit), not only returned from escrow');
  t.equal((await simCmd(d, 'coin', '10')).code, 0, 'a coin is still taken');
  const during = await cash('collect', '--as-counted');
  t.equal(during.code, 1);
  t.match(during.out, /error 303:/, 'no collection while a payment is open');
  t.equal((await simCmd(d, 'cancel')).code, 0);
  t.equal(await pollUntil(d, 'full-1', 2), 2);

  // The cancelled payment's coin went into the box; its refund came out of a hopper.
  const collected = await cash('collect', '5000=2', '--note', 'evening');
  t.equal(collected.code, 0, collected.out);
  t.match(collected.out, /collection by admin-secret: counted 110,00 ₽, taken \(declared\) 100,00 ₽, difference -10,00 ₽/);
  t.match(collected.out, /difference 10,00 ₽: -1/);
  s = await status();
  t.same(s.cash.cassette, { bills: 0, capacity: 2, level: 'ok' });
  t.same(s.cash.inventory.box, {});
  t.equal(s.cash.records[0].op, 'collection');
  t.same(s.cash.records[0].collection?.difference, { 1000: -1 }, 'the coin in the box was not declared: the difference is kept');
  t.same(s.cash.records[0].collection?.counted, { cassette: { 5000: 2 }, box: { 1000: 1 } });
  t.notOk(s.attention.some((a) => /cassette/.test(a)));

  await pay(d, 'after-1', 5000);
  t.equal((await simCmd(d, 'bill', '50')).code, 0, 'bills are taken again');
  t.equal(await pollUntil(d, 'after-1', 0), 0);
});

t.test('low hoppers refuse a bill whose change cannot be paid, and a refill brings it back', async (t) => {
  const { d, status, cash } = await boot('[devices.sim]\nhopper_coins = [1000, 500, 100]\nhopper_fill = [0, 1, 2]\n[cash]\nusual_bill = 10000\n', 1000);
  t.teardown(() => d.stop());
  let s = await status();
  t.equal(s.cash.hoppersLow.low, true, 'change for a 100-rouble bill cannot be made from 7 roubles');
  t.ok(s.attention.some((a) => /hoppers low/.test(a)));
  t.same(s.cash.inventory.hoppers, { 100: 2, 500: 1 }, 'the opening count recorded the hoppers\' levels');

  await pay(d, 'low-1', 1000);
  const refused = await simCmd(d, 'bill', '50');
  t.equal(refused.code, 1, '40 roubles of change cannot be paid: the 50 is refused');
  t.match(refused.out, /acceptor is closed/, 'closed at the validator, not only returned from escrow');
  const during = await cash('refill', '1000=10');
  t.match(during.out, /error 303:/, 'no refill while a payment is open');
  t.equal((await simCmd(d, 'cancel')).code, 0);
  t.equal(await pollUntil(d, 'low-1', 2), 2);

  const bad = await cash('refill', '300=1');
  t.equal(bad.code, 1);
  t.match(bad.out, /error 304:/, 'no hopper for 3 roubles');
  const refilled = await cash('refill', '1000=10', '100=10');
  t.equal(refilled.code, 0, refilled.out);
  s = await status();
  t.equal(s.cash.hoppersLow.low, false, 'not low after the refill');
  t.same(s.cash.inventory.hoppers, { 100: 12, 500: 1, 1000: 10 });

  await pay(d, 'low-2', 1000);
  t.equal((await simCmd(d, 'bill', '50')).code, 0, 'the 50 is taken again: its change can be paid');
  t.equal(await pollUntil(d, 'low-2', 0), 0);
  s = await status();
  const h = s.cash.inventory.hoppers;
  t.equal(1000 * (h[1000] ?? 0) + 500 * (h[500] ?? 0) + 100 * (h[100] ?? 0), 11_700 - 4000, '40 roubles of change left the hoppers');
  t.same(s.cash.hoppers.map((x) => [x.value, x.count]), Object.entries(h).map(([v, n]) => [Number(v), n]).sort((a, b) => b[0] - a[0]), 'the driver\'s counts agree with the inventory');
});
