/**
 * The gpio-led overlay (board/overlays/paypoint-led-overlay.dts) compiles with dtc without warnings,
 * and names the LED as the configuration's default `led.name`, with the timer as default trigger.
 */
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig } from '../../../src/config/schema.js';
import { REPO } from '../../helpers/daemon.js';

t.test('overlay compiles and carries the LED label and timer trigger', async (t) => {
  const out = join(mkdtempSync(join(tmpdir(), 'paypoint-dtc-')), 'paypoint-led.dtbo');
  const r = spawnSync('dtc', ['-@', '-I', 'dts', '-O', 'dtb', '-o', out, join(REPO, 'board/overlays/paypoint-led-overlay.dts')], { encoding: 'utf8' });
  t.equal(r.status, 0, `dtc exit status (stderr: ${r.stderr})`);
  t.equal(r.stderr, '', 'no warnings');
  const back = execFileSync('dtc', ['-I', 'dtb', '-O', 'dts', out], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  t.match(back, `label = "${defaultConfig().led.name}"`);
  t.match(back, 'linux,default-trigger = "timer"');
  t.match(back, 'compatible = "gpio-leds"');
});
