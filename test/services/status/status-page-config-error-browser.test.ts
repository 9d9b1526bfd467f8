/**
 * The status page in a real browser (Debian's Chromium through playwright-core) of a daemon in the
 * configuration-error mode (docs/appliance.md, "Configuration error"): the state badge says so, the
 * attention box names the problem with file, line and field, in Russian by default, with no script error.
 */
import t from 'tap';
import { join } from 'node:path';
import { ARTIFACTS, chromiumReady, launchChromium, openLive } from '../../helpers/browser.js';
import { startDaemonProcess } from '../../helpers/daemon.js';

t.test('a configuration file that cannot be loaded: the badge and the problem with its file, line and field', async (t) => {
  if (!chromiumReady(t)) return;
  // Line 2: a field out of range. The page runs on the command line's port (the helper's --status-port),
  // read back from the "ready" line.
  const d = await startDaemonProcess({ configText: `[pos]\nmax_amount = 0\n` });
  t.ok(d.logs.some((l) => l.includes('"mode":"config-error"')), 'started in the configuration-error mode');
  const browser = await launchChromium(t, d);
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const status = /"statusPort":(\d+)/.exec(d.logs.find((l) => l.includes('"mode":"config-error"')) ?? '')?.[1];
  const errors = await openLive(page, `http://127.0.0.1:${status}/`);
  await page.locator('#state.config-error').waitFor();
  t.match(await page.locator('#state').textContent(), /ошибка конфигурации/);
  const item = page.locator('#attention li', { hasText: 'pos.max_amount' });
  await item.waitFor();
  t.match(await item.textContent(), /^ошибка конфигурации 102: .*paypoint\.toml:2: pos\.max_amount: /, 'code, file, line and field');
  t.match(await page.locator('#attention').textContent(), /оплата не принимается/);
  await page.screenshot({ path: join(ARTIFACTS, 'status-page-config-error-ru.png'), fullPage: true });
  t.same(errors, [], 'no script errors');
});
