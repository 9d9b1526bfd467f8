/**
 * The status page in a real browser (docs/appliance.md, "Status page": "its page shows a payment live in a real
 * browser"): Debian's Chromium, driven by playwright-core, against the real daemon process. A payment is
 * started over SOAP and paid with simulated coins while the page is open; the page must follow each
 * step without a reload. Screenshots go to test-artifacts/ (gitignored).
 */
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, chromiumReady, launchChromium, openLive } from '../../helpers/browser.js';
import { REPO, freePort, payXml, returnCode, simCmd, soapPost, startDaemonProcess, tempDir } from '../../helpers/daemon.js';


t.test('the page shows a payment live, in Russian, then in English', async (t) => {
  if (!chromiumReady(t)) return;
  const statusPort = await freePort();
  const d = await startDaemonProcess({
    configText: `[unit]\nname = "Магазин №3"\n[status]\nport = ${statusPort}\nbind = "127.0.0.1"\n[led]\nsysfs_root = "${tempDir('paypoint-noleds-')}"\n`,
  });
  const browser = await launchChromium(t, d);
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const errors = await openLive(page, `http://127.0.0.1:${statusPort}/`);
  t.equal(await page.locator('[data-t="session"]').textContent(), 'Текущая оплата', 'Russian by default');
  t.equal(await page.locator('#session').textContent(), 'Нет активной оплаты');
  t.equal(await page.locator('#state').textContent(), 'готов');

  // The scanning terminal starts a payment; the page follows without a reload.
  const pay = await soapPost(d.url, payXml('browser-1', 2500, [{ id: '1', name: 'Кефир', count: 1, cost: 2500 }]));
  t.equal(returnCode(pay.body), 0);
  await page.locator('#session .uid', { hasText: 'browser-1' }).waitFor();
  t.equal(await page.locator('#state').textContent(), 'идёт оплата');
  t.equal((await page.locator('#session .amount').textContent())?.replace(/\s/g, ' '), '25,00 ₽');

  t.equal((await simCmd(d, 'coin', '10')).code, 0);
  await page.locator('#session .credited', { hasText: '10,00' }).waitFor();
  await page.screenshot({ path: join(ARTIFACTS, 'status-page-payment-ru.png'), fullPage: true });

  t.equal((await simCmd(d, 'bill', '50')).code, 0); // 60 for 25: 35 change
  await page.locator('#session', { hasText: 'Нет активной оплаты' }).waitFor();
  const row = page.locator('#sessions tr', { hasText: 'browser-1' });
  await row.waitFor();
  t.match(await row.textContent(), /оплачено/);
  t.match(await row.textContent(), /ожидает/, 'its report waits in the outbox');
  t.match(await page.locator('#outbox').textContent(), /В очереди1/);
  await page.screenshot({ path: join(ARTIFACTS, 'status-page-paid-ru.png'), fullPage: true });

  await page.locator('#lang-en').click();
  await page.locator('[data-t="session"]', { hasText: 'Current payment' }).waitFor();
  t.equal(await page.locator('#state').textContent(), 'ready');
  t.match(await page.locator('#sessions tr', { hasText: 'browser-1' }).textContent(), /paid/);
  await page.screenshot({ path: join(ARTIFACTS, 'status-page-en.png'), fullPage: true });
  t.same(errors, [], 'no script errors on the page');
});

t.test('Russian words for devices, their details, uptime and coin counts; an empty hopper is not "ready"', async (t) => {
  if (!chromiumReady(t)) return;
  const statusPort = await freePort();
  const d = await startDaemonProcess({
    configText: `[status]\nport = ${statusPort}\nbind = "127.0.0.1"\n[led]\nenabled = false\n[devices.sim]\nhopper_coins = [1000, 500, 100]\nhopper_fill = [1, 0, 3]\n`,
  });
  const browser = await launchChromium(t, d);
  const page = await browser.newPage();
  const errors = await openLive(page, `http://127.0.0.1:${statusPort}/?lang=ru`);
  const devices = (await page.locator('#devices').textContent()) ?? '';
  t.match(devices, /Монетоприёмник/);
  t.match(devices, /Купюроприёмник/);
  t.match(devices, /приём выключен/);
  t.match(devices.replace(/\s/g, ' '), /Хопперы \(сдача\)частично5,00 ₽: пуст/);
  t.notMatch(devices, /coin-acceptor|inhibited|bill-validator|ready/, 'no English device words');
  const cash = ((await page.locator('#cash').textContent()) ?? '').replace(/\s/g, ' ');
  t.match(cash, /10,00 ₽1 монета/);
  t.match(cash, /5,00 ₽0 монет/);
  t.match(cash, /1,00 ₽3 монеты/);
  const unit = ((await page.locator('#unit').textContent()) ?? '').replace(/\s/g, ' ');
  t.match(unit, /Работает0 ч \d+ мин/);
  t.notMatch(((await page.locator('#clock').textContent()) ?? ''), /unknown/);
  t.same(errors, [], 'no script errors on the page');
});

t.test('the cash inventory in the browser: cassette against its capacity, a collection and a refill from the page', async (t) => {
  if (!chromiumReady(t)) return;
  const profile = JSON.parse(readFileSync(join(REPO, 'board/profiles/reference-pi4.json'), 'utf8')) as { billValidator: { cassetteCapacity: number } };
  profile.billValidator.cassetteCapacity = 3;
  const profilePath = join(tempDir('paypoint-profile-'), 'small.json');
  writeFileSync(profilePath, JSON.stringify(profile));
  const statusPort = await freePort();
  const d = await startDaemonProcess({
    configText:
      `[status]\nport = ${statusPort}\nbind = "127.0.0.1"\nrequire_auth = true\nlogin = "tech"\npassword = "pw-browser-1"\n[led]\nenabled = false\n` +
      `[devices]\nboard_profile = "${profilePath}"\n[devices.sim]\nhopper_coins = [1000, 500, 100]\nhopper_fill = [20, 20, 20]\n`,
  });
  // A new profile directory for this run (Chromium's --user-data-dir, given the way playwright takes it).
  const context = await chromium.launchPersistentContext(tempDir('paypoint-chromium-'), {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 1400 },
    httpCredentials: { username: 'tech', password: 'pw-browser-1' },
  });
  t.teardown(async () => {
    await context.close();
    await d.stop();
  });
  // Two 50-rouble bills and a 10-rouble coin for 105 roubles: 5 roubles of change from a hopper.
  t.equal(returnCode((await soapPost(d.url, payXml('cash-1', 10_500))).body), 0);
  t.equal((await simCmd(d, 'bill', '50')).code, 0);
  t.equal((await simCmd(d, 'bill', '50')).code, 0);
  t.equal((await simCmd(d, 'coin', '10')).code, 0);

  const page = await context.newPage();
  const errors = await openLive(page, `http://127.0.0.1:${statusPort}/?lang=ru`);
  const inv = page.locator('#inventory');
  await inv.locator('tr.cassette', { hasText: '50,00 ₽ × 2' }).waitFor();
  const text = ((await inv.textContent()) ?? '').replace(/\s/g, ' ');
  t.match(text, /Кассета купюр — 2 шт\. \/ 3, почти полна100,00 ₽/, 'two bills of three: nearly full');
  t.match(text, /Ящик для монет10,00 ₽10,00 ₽ × 1/);
  t.match(text, /5,00 ₽ × 19/, 'the 5-rouble change coin left its hopper');
  t.match(((await page.locator('#attention').textContent()) ?? ''), /кассета купюр почти полна \(2 из 3\)/);
  await page.screenshot({ path: join(ARTIFACTS, 'status-page-cash-ru.png'), fullPage: true });

  // The operator took the two bills and the coin, but says one bill only: the difference is kept.
  await page.locator('#collect-form input[data-value="5000"]').fill('1');
  await page.locator('#collect-form input[name="note"]').fill('вечер');
  await page.locator('#collect-btn').click();
  await page.locator('#collect-result.ok').waitFor();
  t.match((await page.locator('#collect-result').textContent())?.replace(/\s/g, ' '), /Инкассация записана: расхождение -50,00 ₽ \(50,00 ₽ -1\)/);
  await inv.locator('tr.cassette', { hasText: '0 шт. / 3, в норме' }).waitFor();
  await page.locator('#cash-records li.collection', { hasText: 'login:tech' }).waitFor();

  await page.locator('#refill-form input[data-value="500"]').fill('5');
  await page.locator('#refill-btn').click();
  await page.locator('#refill-result.ok').waitFor();
  await inv.locator('tr.hoppers', { hasText: '5,00 ₽ × 24' }).waitFor();
  await page.screenshot({ path: join(ARTIFACTS, 'status-page-cash-collected-ru.png'), fullPage: true });

  await page.locator('#lang-en').click();
  await page.locator('#inventory-h', { hasText: 'Cash inside' }).waitFor();
  t.match(((await page.locator('#cash-records li.collection').textContent()) ?? '').replace(/\s/g, ' '), /collection · login:tech · counted 110,00 ₽, taken 60,00 ₽, difference -50,00 ₽ \(50,00 ₽ -1\) · вечер/);
  await page.screenshot({ path: join(ARTIFACTS, 'status-page-cash-en.png'), fullPage: true });
  t.same(errors, [], 'no script errors on the page');
});
