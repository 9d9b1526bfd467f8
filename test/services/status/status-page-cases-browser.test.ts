/**
 * The status page in a real browser (Debian's Chromium, playwright-core) against the real daemon: change
 * the hoppers cannot pay becomes an open case ("owed to customers"), `paypoint settle` moves it to the
 * settled list without a reload, and today's totals say whether the cash adds up, in Russian and in
 * English. Screenshots go to test-artifacts/ (gitignored).
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ARTIFACTS, chromiumReady, launchChromium, openLive } from '../../helpers/browser.js';
import { BIN, freePort, payXml, pollUntil, returnCode, simCmd, soapPost, startDaemonProcess } from '../../helpers/daemon.js';


t.test('owed change: open on the page, settled from the command line, totals add up', async (t) => {
  if (!chromiumReady(t)) return;
  const statusPort = await freePort();
  // One hopper of 5-rouble coins, empty: change of 5 roubles cannot be paid.
  const d = await startDaemonProcess({
    configText: `[status]\nport = ${statusPort}\nbind = "127.0.0.1"\n[led]\nenabled = false\n[devices.sim]\nhopper_coins = [500]\nhopper_fill = [0]\n`,
  });
  const browser = await launchChromium(t, d);
  const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
  const errors = await openLive(page, `http://127.0.0.1:${statusPort}/?lang=ru`);
  t.match(await page.locator('#cases h3').first().textContent(), /^Открытые: 0$/);

  t.equal(returnCode((await soapPost(d.url, payXml('owed-1', 500))).body), 0);
  const coin = await simCmd(d, 'coin', '10'); // 10 for 5: 5 change, the hopper is empty
  t.equal(coin.code, 0, coin.out);
  t.equal(await pollUntil(d, 'owed-1', 0), 0, 'paid; the change is owed');
  const row = page.locator('#cases-open tr', { hasText: 'owed-1' });
  await row.waitFor({ timeout: 20_000 });
  t.match((await row.textContent())?.replace(/\s/g, ' '), /owed-1.*5,00 ₽не выдана сдача или возврат/);
  t.match(await page.locator('#attention').textContent(), /не выдана часть сдачи/);
  await page.screenshot({ path: join(ARTIFACTS, 'status-page-owed-ru.png'), fullPage: true });

  const list = JSON.parse(spawnSync(process.execPath, [BIN, 'settle', '--json', '--data-dir', d.dataDir], { encoding: 'utf8' }).stdout) as { open: Array<{ id: string; uid: string }> };
  const id = list.open.find((c) => c.uid === 'owed-1')!.id;
  const r = spawnSync(process.execPath, [BIN, 'settle', id, 'paid', '--by', 'Ольга', '--data-dir', d.dataDir], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  const settled = page.locator('#cases-settled tr', { hasText: 'owed-1' });
  await settled.waitFor({ timeout: 20_000 });
  t.match(await settled.textContent(), /выдано покупателюОльга/);
  await page.locator('#cases h3', { hasText: 'Открытые: 0' }).waitFor();
  await page.locator('#attention-box[hidden]').waitFor({ state: 'attached' }).catch(() => undefined);

  const totals = ((await page.locator('#totals').textContent()) ?? '').replace(/\s/g, ' ');
  t.match(totals, /Сегодня: наличность сходится/);
  t.match(totals, /Оплачено наличными1 \/ 5,00 ₽/);
  t.match(totals, /Не выдано покупателям1 \/ 5,00 ₽/);
  await page.screenshot({ path: join(ARTIFACTS, 'status-page-settled-ru.png'), fullPage: true });

  await page.locator('#lang-en').click();
  await page.locator('#cases h3', { hasText: 'Settled: 1' }).waitFor();
  t.match(((await page.locator('#totals').textContent()) ?? '').replace(/\s/g, ' '), /Today: the cash adds up/);
  await page.screenshot({ path: join(ARTIFACTS, 'status-page-settled-en.png'), fullPage: true });
  t.same(errors, [], 'no script errors on the page');
});
