/**
 * What the update tests share: a unit's configuration file (data directory, status page port), the
 * stand-ins for the two external programs (rauc: fake-rauc.mjs with RAUC 1.8's JSON; systemctl: a
 * script that logs its calls and says the daemon is active) on a PATH of their own, and the CLI.
 */
import { chmodSync, existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { BIN, freePort, tempDir } from '../../helpers/daemon.js';

export interface Slots {
  booted: 'A' | 'B';
  /** boot_status of A and B. */
  a: 'good' | 'bad';
  b: 'good' | 'bad';
  versionA?: string;
  versionB?: string;
}

/** RAUC 1.8's `rauc status --output-format=json --detailed`, as Debian's rauc printed it. */
export function raucState(s: Slots): object {
  const slot = (bootname: 'A' | 'B', dev: string, status: string, version?: string) => ({
    class: 'rootfs',
    device: dev,
    type: 'ext4',
    bootname,
    state: s.booted === bootname ? 'booted' : 'inactive',
    parent: null,
    mountpoint: s.booted === bootname ? '/' : null,
    boot_status: status,
    slot_status: { bundle: version ? { compatible: 'paypoint-test', version } : { compatible: null } },
  });
  return {
    compatible: 'paypoint-test',
    variant: '',
    booted: s.booted,
    boot_primary: s.booted === 'A' ? 'rootfs.0' : 'rootfs.1',
    slots: [{ 'rootfs.1': slot('B', '/dev/vda3', s.b, s.versionB) }, { 'rootfs.0': slot('A', '/dev/vda2', s.a, s.versionA) }],
  };
}

export interface Tools {
  bin: string;
  state: string;
  raucLog: string;
  systemctlLog: string;
  env: NodeJS.ProcessEnv;
}

export function tools(slots: Slots | null, info?: object): Tools {
  const bin = tempDir('paypoint-tools-');
  const state = join(bin, 'rauc-state.json');
  if (slots) {
    writeFileSync(state, JSON.stringify(raucState(slots)));
    symlinkSync(join(import.meta.dirname, 'fake-rauc.mjs'), join(bin, 'rauc'));
  }
  const systemctlLog = join(bin, 'systemctl.log');
  writeFileSync(
    join(bin, 'systemctl'),
    `#!/bin/sh\necho "$*" >> '${systemctlLog}'\ncase "$1" in is-active) echo active ;; show) echo 0 ;; esac\nexit 0\n`,
  );
  chmodSync(join(bin, 'systemctl'), 0o755);
  return {
    bin,
    state,
    raucLog: `${state}.log`,
    systemctlLog,
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, FAKE_RAUC_STATE: state, ...(info ? { FAKE_RAUC_INFO: JSON.stringify(info) } : {}) },
  };
}

export function slotsNow(t: Tools): Record<string, string> {
  const j = JSON.parse(readFileSync(t.state, 'utf8')) as { slots: Array<Record<string, { bootname: string; boot_status: string }>> };
  const out: Record<string, string> = {};
  for (const e of j.slots) for (const s of Object.values(e)) out[s.bootname] = s.boot_status;
  return out;
}

export function readLog(p: string): string {
  return existsSync(p) ? readFileSync(p, 'utf8') : '';
}

export interface UnitConfig {
  dataDir: string;
  configPath: string;
  statusPort: number;
  text: string;
}

export async function unitConfig(extra = ''): Promise<UnitConfig> {
  const dataDir = tempDir();
  const statusPort = await freePort();
  const text =
    `[storage]\ndata_dir = "${dataDir}"\n[status]\nport = ${statusPort}\nbind = "127.0.0.1"\n` +
    `[led]\nsysfs_root = "${tempDir('paypoint-noleds-')}"\n${extra}`;
  const configPath = join(tempDir('paypoint-etc-'), 'paypoint.toml');
  writeFileSync(configPath, text);
  return { dataDir, configPath, statusPort, text };
}

export function cli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((res) => {
    const c = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => c.kill('SIGKILL'), timeoutMs);
    c.on('exit', (code) => {
      clearTimeout(timer);
      res({ code, out, err });
    });
  });
}
