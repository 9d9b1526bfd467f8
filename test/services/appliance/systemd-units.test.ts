/**
 * `systemd-analyze verify` on every unit in systemd/ (docs/appliance.md), and the properties the issue
 * asks of them. verify checks that ExecStart's program exists, and /usr/bin/paypoint is only there on a
 * unit's image: so it runs with --root on a scratch root holding this machine's system units, our units,
 * and an executable at /usr/bin/paypoint. Any message (an unknown key is only a warning with exit 0) fails.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from '../../helpers/daemon.js';

const UNITS = join(REPO, 'systemd');

function scratchRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'paypoint-sdroot-'));
  mkdirSync(join(root, 'usr/lib/systemd'), { recursive: true });
  cpSync('/lib/systemd/system', join(root, 'usr/lib/systemd/system'), { recursive: true, verbatimSymlinks: true });
  mkdirSync(join(root, 'etc/systemd/system'), { recursive: true });
  mkdirSync(join(root, 'usr/bin'), { recursive: true });
  writeFileSync(join(root, 'usr/bin/paypoint'), '#!/bin/sh\nexit 0\n');
  chmodSync(join(root, 'usr/bin/paypoint'), 0o755);
  for (const f of readdirSync(UNITS).filter((f) => f.endsWith('.service'))) cpSync(join(UNITS, f), join(root, 'etc/systemd/system', f));
  return root;
}

t.test('systemd-analyze verify passes on every unit, with no message', async (t) => {
  const root = scratchRoot();
  const units = readdirSync(UNITS)
    .filter((f) => f.endsWith('.service'))
    .map((f) => f.replace('@.service', '@sda1.service'));
  t.ok(units.includes('paypoint.service') && units.includes('paypoint-usb-import@sda1.service'), `units: ${units}`);
  for (const u of units) {
    const r = spawnSync('systemd-analyze', ['verify', `--root=${root}`, u], { encoding: 'utf8' });
    t.equal(r.status, 0, `${u}: exit status`);
    t.equal((r.stderr + r.stdout).trim(), '', `${u}: no warnings`);
  }
});

t.test('verify does catch a broken unit (the check above can fail)', async (t) => {
  const root = scratchRoot();
  const bad = readFileSync(join(UNITS, 'paypoint.service'), 'utf8').replace('Type=notify', 'Type=notify\nWatchdogSek=30s');
  writeFileSync(join(root, 'etc/systemd/system/bad.service'), bad);
  const r = spawnSync('systemd-analyze', ['verify', `--root=${root}`, 'bad.service'], { encoding: 'utf8' });
  t.match(r.stderr, /Unknown key/);
});

function props(file: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const line of readFileSync(join(UNITS, file), 'utf8').split('\n')) {
    const kv = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (kv) m.set(kv[1], [...(m.get(kv[1]) ?? []), kv[2]]);
  }
  return m;
}

t.test('paypoint.service has what docs/appliance.md describes', async (t) => {
  const p = props('paypoint.service');
  const one = (k: string) => p.get(k)?.at(-1);
  t.equal(one('Type'), 'notify');
  t.equal(one('NotifyAccess'), 'main');
  t.match(one('WatchdogSec') ?? '', /^\d+s$/);
  t.equal(one('Restart'), 'always');
  t.ok(one('StartLimitIntervalSec') && one('StartLimitBurst'), 'start-limit policy');
  t.equal(one('User'), 'paypoint');
  t.same(one('SupplementaryGroups')?.split(' ').sort(), ['dialout', 'gpio', 'i2c']);
  t.equal(one('ProtectSystem'), 'strict');
  t.equal(one('ReadWritePaths'), '/var/lib/paypoint');
  t.equal(one('NoNewPrivileges'), 'yes');
  t.equal(one('PrivateTmp'), 'yes');
  t.equal(one('ProtectHome'), 'yes');
  t.equal(one('CapabilityBoundingSet'), '', 'no capabilities');
});

t.test('the udev rule starts the import unit and mounts nothing', async (t) => {
  const rules = readFileSync(join(UNITS, '99-paypoint-usb.rules'), 'utf8');
  const active = rules.split('\n').filter((l) => l.trim() && !l.startsWith('#')).join('\n');
  t.match(active, 'ENV{ID_FS_TYPE}=="vfat"');
  t.match(active, 'ENV{ID_BUS}!="usb"');
  t.match(active, 'ENV{SYSTEMD_WANTS}+="paypoint-usb-import@%k.service"');
  t.notMatch(active, /mount|RUN\+?=/, 'no mount and no RUN from udev');
  const imp = props('paypoint-usb-import@.service');
  t.match(imp.get('ExecStart')?.[0] ?? '', /^\/usr\/bin\/paypoint usb-import \/dev\/%I /);
  t.equal(imp.get('PrivateMounts')?.[0], 'yes');
});
