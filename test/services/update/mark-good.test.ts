/**
 * `paypoint update mark-good` on real processes: the daemon (its /api/status is the health that counts)
 * and the CLI, with stand-ins for the external rauc and systemctl. A slot not yet good is marked good
 * when the daemon is healthy, marked bad with a reboot when it never is, and the fallback is then shown
 * by the status page, /api/status and `paypoint --version`.
 */
import t from 'tap';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemonProcess } from '../../helpers/daemon.js';
import { httpRequest } from '../../helpers/daemon.js';
import { writeUpdateMarker, readUpdateMarker } from '../../../src/services/update/update-marker.js';
import { cli, readLog, slotsNow, tools, unitConfig } from './helpers.js';

t.test('a new slot is marked good once the daemon is healthy', async (t) => {
  const u = await unitConfig();
  const tl = tools({ booted: 'B', a: 'good', b: 'bad', versionB: '2.0.0' });
  await writeUpdateMarker(u.dataDir, { result: 'installed', at: Date.now(), slot: 'B', version: '2.0.0', summary: 'u.raucb' });
  const d = await startDaemonProcess({ dataDir: u.dataDir, configText: u.text, env: tl.env });
  t.teardown(() => d.stop());
  const r = await cli(['update', 'mark-good', '--config', u.configPath, '--settle', '1', '--timeout', '30'], tl.env);
  t.equal(r.code, 0, `exit 0 (${r.out}${r.err})`);
  t.match(readLog(tl.raucLog), /^status mark-good booted$/m, 'rauc status mark-good called');
  t.same(slotsNow(tl), { A: 'good', B: 'good' }, 'slot B good');
  t.match(readUpdateMarker(u.dataDir), { result: 'marked-good', slot: 'B', version: '2.0.0' });
  t.notMatch(readLog(tl.systemctlLog), /reboot/, 'no reboot');
  // The daemon shows the booted slot (asked at its start) and the outcome (read on its refresh tick).
  let s: { update?: { slotLine: string; words: string } } = {};
  for (let i = 0; i < 20; i++) {
    s = JSON.parse((await httpRequest(u.statusPort, '/api/status')).body);
    if (s.update?.words.startsWith('marked good')) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  t.equal(s.update?.slotLine, 'B (bundle 2.0.0)', '/api/status: slot and bundle version');
  t.equal(s.update?.words, 'marked good: slot B (2.0.0)', '/api/status: marked good');
  const v = await cli(['--version', '--config', u.configPath], tl.env);
  t.match(v.out, /^paypoint \d+\.\d+\.\d+\nslot: B \(rootfs\.1, marked good\), bundle version: 2\.0\.0, compatible: paypoint-test\nupdate: marked good: slot B \(2\.0\.0\)$/m, 'paypoint --version');
});

t.test('a slot whose daemon never becomes healthy is marked bad and the unit reboots; the old slot then says it fell back', async (t) => {
  const u = await unitConfig();
  const tl = tools({ booted: 'B', a: 'good', b: 'bad', versionA: '1.0.0', versionB: '2.0.0' });
  await writeUpdateMarker(u.dataDir, { result: 'installed', at: Date.now(), slot: 'B', version: '2.0.0', summary: 'u.raucb' });
  // No daemon at all on the status port: never ready.
  const r = await cli(['update', 'mark-good', '--config', u.configPath, '--settle', '1', '--timeout', '4'], tl.env);
  t.equal(r.code, 1, 'exit 1');
  t.match(r.out, /slot B marked bad \(not healthy within 4 s\); rebooting into slot A/);
  t.match(readLog(tl.raucLog), /^status mark-bad booted$/m, 'rauc status mark-bad');
  t.notMatch(readLog(tl.raucLog), /mark-good/, 'never marked good');
  t.match(readLog(tl.systemctlLog), /^reboot --no-block$/m, 'systemctl reboot');
  t.match(readUpdateMarker(u.dataDir), { result: 'marked-bad', slot: 'B' });

  // The boot loader falls back: slot A booted, not yet marked good for this boot.
  const tl2 = tools({ booted: 'A', a: 'bad', b: 'bad', versionA: '1.0.0', versionB: '2.0.0' });
  const d = await startDaemonProcess({ dataDir: u.dataDir, configText: u.text, env: tl2.env });
  t.teardown(() => d.stop());
  const r2 = await cli(['update', 'mark-good', '--config', u.configPath, '--settle', '1', '--timeout', '30'], tl2.env);
  t.equal(r2.code, 0, `exit 0 (${r2.out}${r2.err})`);
  t.match(r2.out, /fell back: slot B \(2\.0\.0\) was not healthy \(not healthy within 4 s\)/);
  t.match(readUpdateMarker(u.dataDir), { result: 'fell-back', slot: 'A' });
  let s: { update?: { words: string }; attention?: string[] } = {};
  for (let i = 0; i < 20; i++) {
    s = JSON.parse((await httpRequest(u.statusPort, '/api/status')).body);
    if (s.update?.words.startsWith('fell back')) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  t.match(s.update?.words, /^fell back to slot A: slot B \(2\.0\.0\) was not healthy/, '/api/status says it fell back');
  t.ok(s.attention?.some((a) => a.startsWith('update: fell back')), 'needs attention (LED and page)');
  const v = await cli(['--version', '--config', u.configPath], tl2.env);
  t.match(v.out, /^update: fell back to slot A/m, 'paypoint --version says it fell back');
});

t.test('not healthy with no good slot to fall back to: no mark-bad, no reboot loop', async (t) => {
  const u = await unitConfig();
  const tl = tools({ booted: 'A', a: 'bad', b: 'bad' });
  const r = await cli(['update', 'mark-good', '--config', u.configPath, '--settle', '1', '--timeout', '3'], tl.env);
  t.equal(r.code, 1);
  t.match(r.out, /the other slot is not good, so no fallback/);
  t.notMatch(readLog(tl.raucLog), /mark-/, 'slot not marked');
  t.notMatch(readLog(tl.systemctlLog), /reboot/, 'no reboot');
});

t.test('no rauc on the machine: no A/B', async (t) => {
  const u = await unitConfig();
  const tl = tools(null);
  // A PATH with node and the systemctl stand-in only.
  symlinkSync(process.execPath, join(tl.bin, 'node'));
  const env = { ...tl.env, PATH: tl.bin };
  const r = await cli(['update', 'mark-good', '--config', u.configPath], env);
  t.equal(r.code, 0, r.err);
  t.match(r.out, /no A\/B/);
  const v = await cli(['--version'], env);
  t.match(v.out, /^slot: no A\/B \(rauc is not installed\)$/m);
});
