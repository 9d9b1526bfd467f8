/**
 * `paypoint update watch`: an update installed through RAUC by another client (hawkBit, with
 * post_update_reboot = false) is rebooted into once no payment session is open. The decision is pure
 * (RAUC 1.8's status JSON: the booted slot marked good and another, good slot primary); the command runs
 * on real processes: the daemon (its /api/status tells whether a payment is open), the CLI, the
 * stand-ins for rauc and systemctl.
 */
import t from 'tap';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, payXml, pollUntil, returnCode, simCmd, soapPost, startDaemonProcess } from '../../helpers/daemon.js';
import { parseRaucStatus, type RaucStatus } from '../../../src/services/update/rauc.js';
import { pendingSwitch, watchInstalls } from '../../../src/services/update/install-watch.js';
import { readUpdateMarker } from '../../../src/services/update/update-marker.js';
import { cli, raucState, readLog, tools, unitConfig, type Slots } from './helpers.js';

const status = (s: Slots, primary?: string): RaucStatus => {
  const j = raucState(s) as { boot_primary: string | null };
  if (primary !== undefined) j.boot_primary = primary;
  return parseRaucStatus(JSON.stringify(j));
};

t.test('the decision from rauc status', async (t) => {
  t.match(pendingSwitch(null), { action: 'none', why: 'no A/B' });
  t.match(pendingSwitch(status({ booted: 'A', a: 'good', b: 'bad' })), { action: 'none', why: /booted and primary/ }, 'nothing installed');
  // RAUC's set_primary after a completed install: B OK and not tried, first in ORDER.
  t.match(pendingSwitch(status({ booted: 'A', a: 'good', b: 'good', versionB: '2.0.0' }, 'rootfs.1')), { action: 'reboot', into: { bootname: 'B', bundleVersion: '2.0.0' } }, 'installed into B');
  t.match(pendingSwitch(status({ booted: 'B', a: 'good', b: 'good' }, 'rootfs.0')), { action: 'reboot', into: { bootname: 'A' } }, 'installed into A from B');
  // A slot on trial (TRY=1: "bad" to rauc) has the other one primary: mark-good decides, never the watch.
  t.match(pendingSwitch(status({ booted: 'B', a: 'good', b: 'bad' }, 'rootfs.0')), { action: 'none', why: /on trial/ }, 'booted slot on trial');
  // During an install the target is marked bad and the booted slot stays primary.
  t.match(pendingSwitch(status({ booted: 'A', a: 'good', b: 'bad' }, 'rootfs.0')), { action: 'none' }, 'installing');
  t.match(pendingSwitch(status({ booted: 'A', a: 'good', b: 'bad' }, 'rootfs.1')), { action: 'none', why: /not bootable/ }, 'primary not bootable');
  // boot_primary is a slot name: a bootname there matches no slot.
  t.match(pendingSwitch(status({ booted: 'A', a: 'good', b: 'good' }, 'B')), { action: 'none', why: /not a slot/ }, 'bootname is not a slot name');
  t.match(pendingSwitch(status({ booted: 'A', a: 'good', b: 'good' }, null as unknown as string)), { action: 'none', why: /no primary/ });
});

t.test('the watch waits while a stick import runs, and survives a failing rauc', async (t) => {
  const calls: string[] = [];
  let polls = 0;
  const installed = status({ booted: 'A', a: 'good', b: 'good' }, 'rootfs.1');
  const r = await watchInstalls({
    status: async () => {
      polls++;
      if (polls === 1) throw new Error('D-Bus not up');
      return installed;
    },
    importRunning: async () => polls < 4,
    noteInstalled: async (s) => void calls.push(`note ${s.bootname}`),
    rebootWhenIdle: async () => void calls.push('reboot'),
    sleep: async () => undefined,
    intervalMs: 1,
    log: (m) => calls.push(m),
    maxPolls: 10,
  });
  t.equal(r, 'rebooting');
  t.equal(polls, 4, 'rebooted at the first poll without an import running');
  t.match(calls, [/rauc status failed: D-Bus not up/, /stick import is running/, /rebooting into it/, 'note B', 'reboot']);
  const idle = await watchInstalls({
    status: async () => status({ booted: 'A', a: 'good', b: 'bad' }),
    importRunning: async () => false,
    noteInstalled: async () => void t.fail('no note'),
    rebootWhenIdle: async () => void t.fail('no reboot'),
    sleep: async () => undefined,
    intervalMs: 1,
    log: () => undefined,
    maxPolls: 3,
  });
  t.equal(idle, 'stopped', 'nothing installed: no reboot');
});

t.test('paypoint update watch: an install by another client reboots only after the open payment finished', async (t) => {
  const u = await unitConfig();
  const tl = tools({ booted: 'A', a: 'good', b: 'bad', versionA: '1.0.0' });
  const d = await startDaemonProcess({ dataDir: u.dataDir, configText: u.text, env: tl.env });
  t.teardown(() => d.stop());
  const run = cli(['update', 'watch', '--config', u.configPath, '--interval', '1', '--systemctl', join(tl.bin, 'systemctl')], tl.env);
  t.equal(returnCode((await soapPost(d.url, payXml('watch-1', 1000))).body), 0, 'Pay: a payment session is open');
  await new Promise((r) => setTimeout(r, 2500));
  t.notMatch(readLog(tl.systemctlLog), /reboot/, 'nothing installed yet: no reboot');
  // Another client (hawkBit) installs through rauc: the stand-in makes B good and primary, as RAUC does.
  execFileSync('rauc', ['install', '/data/hawkbit.raucb'], { env: tl.env });
  for (let i = 0; i < 40 && readUpdateMarker(u.dataDir)?.result !== 'installed'; i++) await new Promise((r) => setTimeout(r, 250));
  t.match(readUpdateMarker(u.dataDir), { result: 'installed', slot: 'B', summary: /hawkBit/ }, 'the page says installed, waiting for the reboot');
  await new Promise((r) => setTimeout(r, 3000));
  t.notMatch(readLog(tl.systemctlLog), /reboot/, 'no reboot while the payment is open');
  t.equal((await simCmd(d, 'coin', '10')).code, 0, 'coin inserted');
  t.equal(await pollUntil(d, 'watch-1', 0, 30_000), 0, 'PayPoll: paid');
  const r = await run;
  t.equal(r.code, 0, `exit 0 ${r.err.slice(-300)}`);
  t.match(r.out, /reboot asked for/);
  t.match(readLog(tl.systemctlLog), /^reboot --no-block$/m, 'rebooted after the payment finished');
});

t.test('paypoint update watch: no reboot while a stick import unit runs', async (t) => {
  const u = await unitConfig();
  const tl = tools({ booted: 'A', a: 'good', b: 'good' });
  const j = JSON.parse(JSON.stringify(raucState({ booted: 'A', a: 'good', b: 'good' }))) as { boot_primary: string };
  j.boot_primary = 'rootfs.1';
  writeFileSync(tl.state, JSON.stringify(j));
  // systemctl that lists a running import unit.
  const sc = join(tl.bin, 'systemctl-importing');
  writeFileSync(sc, `#!/bin/sh\necho "$*" >> '${tl.systemctlLog}'\ncase "$1" in list-units) echo "paypoint-usb-import@sda.service loaded active running" ;; esac\nexit 0\n`);
  chmodSync(sc, 0o755);
  const c = spawn(process.execPath, [BIN, 'update', 'watch', '--config', u.configPath, '--interval', '1', '--systemctl', sc], { env: tl.env, stdio: 'ignore' });
  const exited = new Promise<number | null>((res) => c.on('exit', (code) => res(code)));
  // Three polls that each found the import running (however slow this machine is to start the CLI).
  const asked = () => readLog(tl.systemctlLog).split('\n').filter((l) => /^list-units .*paypoint-usb-import@\*\.service/.test(l)).length;
  for (let i = 0; i < 240 && asked() < 3 && c.exitCode === null; i++) await new Promise((r) => setTimeout(r, 250));
  c.kill('SIGTERM');
  t.equal(await exited, null, 'still watching when stopped');
  t.ok(asked() >= 3, `asked systemd for import units ${asked()} times`);
  t.notMatch(readLog(tl.systemctlLog), /reboot/, 'no reboot');
});

t.test('paypoint update watch: a bad --interval is refused', async (t) => {
  const u = await unitConfig();
  const tl = tools(null);
  const r = await cli(['update', 'watch', '--config', u.configPath, '--interval', 'soon'], tl.env);
  t.equal(r.code, 2);
  t.match(r.err, /--interval: not a number of seconds: soon/);
  const r0 = await cli(['update', 'watch', '--config', u.configPath, '--interval', '0'], tl.env);
  t.equal(r0.code, 2, '0 s refused too');
});

t.test('raucReason: the reason of a refused rauc install first, without its progress lines', async (t) => {
  const { raucReason } = await import('../../../src/services/update/rauc.js');
  // The lines up to "80% ..." as a VM run's result file had them (cut at 400 characters there); the
  // LastError line as RAUC 1.8's D-Bus client prints it (src/main.c), with src/install.c's mismatch text.
  const out = [
    'installing', '  0% Installing', '  0% Determining slot states', ' 20% Determining slot states done.', ' 20% Checking bundle',
    ' 20% Verifying signature', ' 40% Verifying signature done.', ' 40% Checking bundle done.', ' 40% Checking manifest contents',
    ' 60% Checking manifest contents done.', ' 60% Determining target install group', ' 80% Determining target install group',
    "LastError: Compatible mismatch: Expected 'paypoint-vm-x86_64' but bundle manifest has 'some-other-box'",
  ].join('\n');
  const r = raucReason({ code: 1, out, err: 'Installing `/var/lib/paypoint/update/incoming.raucb` failed\n', missing: false });
  t.equal(r, "Compatible mismatch: Expected 'paypoint-vm-x86_64' but bundle manifest has 'some-other-box'; Installing `/var/lib/paypoint/update/incoming.raucb` failed");
});
