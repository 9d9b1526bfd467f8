/**
 * The status page in a real browser (Debian's Chromium through playwright-core) shows a device that
 * cannot be opened (README.md, "Devices that cannot be opened"): the card terminal configured on a serial
 * path that does not exist is listed faulted with its error code and the path, and the attention box
 * names it with the code, in Russian by default.
 */
import t from 'tap';
import { join } from 'node:path';
import { ARTIFACTS, chromiumReady, launchChromium, openLive } from '../../helpers/browser.js';
import { freePort, startDaemonProcess, tempDir } from '../../helpers/daemon.js';

t.test('a card terminal that cannot be opened: faulted with E506 and its path, named in the attention box', async (t) => {
  if (!chromiumReady(t)) return;
  const statusPort = await freePort();
  const tty = join(tempDir('paypoint-tty-'), 'ttyUSB-card');
  const d = await startDaemonProcess({
    configText:
      `[status]\nport = ${statusPort}\nbind = "127.0.0.1"\n[led]\nsysfs_root = "${tempDir('paypoint-noleds-')}"\n` +
      `[devices]\ncard = "vtk"\n[devices.vtk]\ntransport = "serial"\nserial_path = "${tty}"\n`,
  });
  const browser = await launchChromium(t, d);
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const errors = await openLive(page, `http://127.0.0.1:${statusPort}/`);
  const row = page.locator('#devices tr', { hasText: 'E506' });
  await row.waitFor();
  const text = (await row.textContent()) ?? '';
  t.match(text, `E506: cannot open ${tty}: `, 'the code and the path');
  t.match(text, /неисправ/, 'the state in Russian');
  await page.locator('#attention li', { hasText: 'ошибка 506' }).waitFor();
  t.match(await page.locator('#attention').textContent(), /неисправно \(ошибка 506\)/);
  await page.screenshot({ path: join(ARTIFACTS, 'status-page-device-fault-ru.png'), fullPage: true });
  t.same(errors, [], 'no script errors');
});
