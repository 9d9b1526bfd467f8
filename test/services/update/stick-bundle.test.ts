/**
 * An update bundle on a USB stick (a stick directory; `paypoint usb-import DIR`), on real processes: the
 * daemon (its /api/status tells whether a payment is open), the CLI, stand-ins for rauc and systemctl.
 * Refused with the reason in the result file and nothing changed: bad signature (rauc info fails),
 * wrong compatible, no admin secret on the stick, a unit without an admin secret. Installed: the reboot
 * waits until the payment in progress has finished.
 */
import t from 'tap';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { payXml, pollUntil, returnCode, simCmd, soapPost, startDaemonProcess, tempDir } from '../../helpers/daemon.js';
import { sha256Hex } from '../../../src/services/usb-import/admin-secret.js';
import { readUpdateMarker } from '../../../src/services/update/update-marker.js';
import { cli, readLog, slotsNow, tools, unitConfig } from './helpers.js';

const SECRET = 'update secret';
const GOOD_INFO = { compatible: 'paypoint-test', version: '2.0.0', description: null, build: null, hooks: [], images: [] };

function stick(files: Record<string, string>): string {
  const dir = tempDir('paypoint-stick-');
  mkdirSync(dir, { recursive: true });
  for (const [n, c] of Object.entries(files)) writeFileSync(join(dir, n), c);
  return dir;
}

const result = (dir: string) => readFileSync(join(dir, 'paypoint-result.txt'), 'utf8');

const REFUSED: Array<{ name: string; info: object; files: Record<string, string>; want: RegExp; secret: boolean }> = [
  { name: "bad signature: refused with rauc's reason", info: { error: 'signature verification failed: Verify error: self-signed certificate' },
    files: { 'update.raucb': 'bundle bytes', 'paypoint-secret.txt': SECRET }, want: /update\.raucb: refused by rauc info \(signature or format\): signature verification failed: Verify error: self-signed certificate/, secret: true },
  { name: 'wrong compatible: refused', info: { ...GOOD_INFO, compatible: 'other-box' },
    files: { 'update.raucb': 'bundle bytes', 'paypoint-secret.txt': SECRET }, want: /compatible "other-box" is not this unit's "paypoint-test"/, secret: true },
  { name: 'no admin secret on the stick: refused before rauc is asked', info: GOOD_INFO,
    files: { 'update.raucb': 'bundle bytes' }, want: /this unit has an admin secret: put it in paypoint-secret\.txt/, secret: true },
  { name: 'a unit without an admin secret takes no bundle', info: GOOD_INFO,
    files: { 'update.raucb': 'bundle bytes' }, want: /an update bundle needs a unit that has an admin secret/, secret: false },
];

for (const c of REFUSED) {
  t.test(c.name, async (t) => {
    const u = await unitConfig(c.secret ? `[unit]\nadmin_secret_sha256 = "${sha256Hex(SECRET)}"\n` : '');
    const tl = tools({ booted: 'A', a: 'good', b: 'bad' }, c.info);
    const s = stick(c.files);
    const r = await cli(['usb-import', s, '--config', u.configPath, '--systemctl', join(tl.bin, 'systemctl')], tl.env);
    t.equal(r.code, 1, 'exit 1 (refused)');
    t.match(result(s), /result: REFUSED/);
    t.match(result(s), c.want, 'the reason is in the result file');
    t.notMatch(readLog(tl.raucLog), /^install/m, 'rauc install never called');
    t.same(slotsNow(tl), { A: 'good', B: 'bad' }, 'slots unchanged');
    t.notMatch(readLog(tl.systemctlLog), /reboot/, 'no reboot');
    t.equal(readUpdateMarker(u.dataDir), null, 'no update recorded');
    t.notOk(existsSync(join(u.dataDir, 'update', 'incoming.raucb')), 'the copy is removed');
  });
}

t.test('a good bundle is installed; the reboot waits for the payment in progress to finish', async (t) => {
  const u = await unitConfig(`[unit]\nadmin_secret_sha256 = "${sha256Hex(SECRET)}"\n`);
  const tl = tools({ booted: 'A', a: 'good', b: 'bad' }, GOOD_INFO);
  const d = await startDaemonProcess({ dataDir: u.dataDir, configText: u.text, env: tl.env });
  t.teardown(() => d.stop());
  t.equal(returnCode((await soapPost(d.url, payXml('upd-1', 1000))).body), 0, 'Pay: a payment session is open');
  const s = stick({ 'update.raucb': 'bundle bytes', 'paypoint-secret.txt': SECRET });
  const run = cli(['usb-import', s, '--config', u.configPath, '--systemctl', join(tl.bin, 'systemctl')], tl.env);
  // The install is done and the result written, but the reboot waits.
  for (let i = 0; i < 60 && !existsSync(join(s, 'paypoint-result.txt')); i++) await new Promise((r) => setTimeout(r, 250));
  t.match(result(s), /result: INSTALLED\r\nupdate\.raucb: version 2\.0\.0 installed into slot B/);
  t.match(readLog(tl.raucLog), /^install .*incoming\.raucb$/m, 'rauc install of the copy on the data partition');
  t.match(readUpdateMarker(u.dataDir), { result: 'installed', slot: 'B', version: '2.0.0' });
  await new Promise((r) => setTimeout(r, 3000));
  t.notMatch(readLog(tl.systemctlLog), /reboot/, 'no reboot while the payment is open');
  // The customer pays: the session finishes, then the unit reboots.
  t.equal((await simCmd(d, 'coin', '10')).code, 0, 'coin inserted');
  t.equal(await pollUntil(d, 'upd-1', 0, 30_000), 0, 'PayPoll: paid');
  const r = await run;
  t.equal(r.code, 0, `exit 0 ${r.err.slice(-300)}`);
  t.match(readLog(tl.systemctlLog), /^reboot --no-block$/m, 'rebooted after the payment finished');
  t.notOk(existsSync(join(u.dataDir, 'update', 'incoming.raucb')), 'the copy is removed');
});
