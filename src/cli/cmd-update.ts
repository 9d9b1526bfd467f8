/**
 * `paypoint update mark-good` (run once per boot by paypoint-update-mark-good.service) and
 * `paypoint --version` (the program's version, the booted root slot and the bundle installed in it, or
 * "no A/B" where rauc is not installed). docs/appliance.md, "Updates (daemon side)".
 * Exit codes of mark-good: 0 marked good, already good or no A/B; 1 marked bad (rebooting) or not healthy.
 */
import { existsSync } from 'node:fs';
import { loadConfigFile } from '../config/load.js';
import { defaultConfig, type Config } from '../config/schema.js';
import { createLogger } from '../services/log.js';
import { markGoodAfterBoot } from '../services/update/mark-good.js';
import { bootedSlot, Rauc } from '../services/update/rauc.js';
import { readUpdateMarker, updateWords } from '../services/update/update-marker.js';
import { SystemdApplier } from '../services/usb-import/systemd-applier.js';
import { execFile } from 'node:child_process';
import { t, UsageError, type CliContext } from './context.js';
import { DEFAULT_CONFIG_PATH } from './usb-import.js';

export interface UpdateFlags {
  config?: string;
  rauc?: string;
  systemctl?: string;
  unit?: string;
  timeout?: string;
  settle?: string;
}

function configAt(path: string): Config {
  return existsSync(path) ? loadConfigFile(path) : defaultConfig();
}

export async function markGoodCommand(ctx: CliContext, f: UpdateFlags): Promise<number> {
  const cfg = configAt(f.config ?? DEFAULT_CONFIG_PATH);
  const log = createLogger('info');
  const systemctl = f.systemctl ?? 'systemctl';
  const applier = new SystemdApplier({ unit: f.unit ?? 'paypoint.service', systemctl, settleMs: f.settle !== undefined ? Number(f.settle) * 1000 : undefined });
  const timeoutMs = (f.timeout !== undefined ? Number(f.timeout) : cfg.update.mark_good_timeout_s) * 1000;
  const r = await markGoodAfterBoot({
    rauc: new Rauc(f.rauc ?? 'rauc'),
    dataDir: cfg.storage.data_dir,
    timeoutMs,
    waitHealthy: (ms) => applier.waitHealthy(cfg, ms),
    reboot: () =>
      new Promise((res) => {
        execFile(systemctl, ['reboot', '--no-block'], () => res());
      }),
    log,
  });
  ctx.out(r.line);
  return r.outcome === 'marked-bad' || r.outcome === 'unhealthy-no-fallback' ? 1 : 0;
}

/** The lines of `paypoint --version`. */
export async function versionLines(version: string, raucCmd = 'rauc', dataDir?: string): Promise<string[]> {
  const lines = [`paypoint ${version}`];
  try {
    const st = await new Rauc(raucCmd, 15_000).status();
    if (st === null) lines.push('slot: no A/B (rauc is not installed)');
    else {
      const b = bootedSlot(st);
      lines.push(`slot: ${b?.bootname ?? '?'} (${b?.name ?? '?'}, ${b?.bootStatus === 'good' ? 'marked good' : 'not yet marked good'}), bundle version: ${b?.bundleVersion ?? 'unknown'}, compatible: ${st.compatible}`);
    }
  } catch (e) {
    lines.push(`slot: unknown (${(e as Error).message})`);
  }
  if (dataDir) lines.push(`update: ${updateWords(readUpdateMarker(dataDir))}`);
  return lines;
}

export async function versionCommand(ctx: CliContext, f: UpdateFlags): Promise<number> {
  const { VERSION } = await import('../main.js');
  let dataDir: string | undefined;
  try {
    dataDir = configAt(f.config ?? DEFAULT_CONFIG_PATH).storage.data_dir;
  } catch {
    dataDir = undefined;
  }
  for (const l of await versionLines(VERSION, f.rauc ?? process.env.PAYPOINT_RAUC ?? 'rauc', dataDir)) ctx.out(l);
  return 0;
}

/**
 * `paypoint update watch` (paypoint-update-watch.service): an installation completed through RAUC by
 * another client (hawkBit) is rebooted into once no payment session is open, by the stick's reboot path.
 */
export async function watchCommand(ctx: CliContext, f: UpdateFlags & { interval?: string }): Promise<number> {
  const intervalS = f.interval !== undefined ? Number(f.interval) : 30;
  if (f.interval !== undefined && (!/^\d+$/.test(f.interval) || intervalS < 1 || intervalS > 3600)) throw new UsageError(t(ctx, 'err.seconds', { opt: '--interval', v: f.interval }));
  const { watchInstalls } = await import('../services/update/install-watch.js');
  const { rebootWhenIdle } = await import('../services/usb-import/systemd-applier.js');
  const { writeUpdateMarker } = await import('../services/update/update-marker.js');
  const configPath = f.config ?? DEFAULT_CONFIG_PATH;
  const cfg = configAt(configPath);
  const log = createLogger('info');
  const systemctl = f.systemctl ?? 'systemctl';
  const rauc = new Rauc(f.rauc ?? 'rauc');
  const r = await watchInstalls({
    status: () => rauc.status(),
    importRunning: () =>
      new Promise((res) => {
        execFile(systemctl, ['list-units', '--no-legend', '--plain', '--state=activating,active,deactivating', 'paypoint-usb-import@*.service'], (err, out) => res(!err && String(out).trim() !== ''));
      }),
    noteInstalled: async (into) => {
      const prev = readUpdateMarker(cfg.storage.data_dir);
      if (prev?.result === 'installed' && prev.slot === into.bootname) return;
      await writeUpdateMarker(cfg.storage.data_dir, { result: 'installed', at: Date.now(), slot: into.bootname, version: into.bundleVersion, summary: 'installed through RAUC (hawkBit)' });
    },
    // The configuration as it is when the reboot is due (a stick may have changed the status port meanwhile).
    rebootWhenIdle: () => rebootWhenIdle(configAt(configPath), { systemctl, log: (m) => log.info({}, m) }),
    sleep: (ms) => new Promise((res) => setTimeout(res, ms)),
    intervalMs: intervalS * 1000,
    log: (msg, fields) => log.info(fields ?? {}, msg),
  });
  ctx.out(r === 'rebooting' ? 'an installation through RAUC is complete: reboot asked for' : 'stopped');
  return 0;
}

/** `paypoint update hawkbit-config`: rauc-hawkbit-updater's file from [update], its service on or off. */
export async function hawkbitConfigCommand(ctx: CliContext, f: UpdateFlags & { out?: string }): Promise<number> {
  const { HAWKBIT_CONF, HAWKBIT_SERVICE, writeHawkbitConfig } = await import('../services/update/hawkbit.js');
  const cfg = configAt(f.config ?? DEFAULT_CONFIG_PATH);
  const out = f.out ?? HAWKBIT_CONF;
  const on = await writeHawkbitConfig(cfg, out);
  const code = await new Promise<number>((res) => {
    execFile(f.systemctl ?? 'systemctl', [on ? 'start' : 'stop', '--no-block', HAWKBIT_SERVICE], (err) => res(err ? 1 : 0));
  });
  ctx.out(on ? `hawkBit on: ${out} written, ${HAWKBIT_SERVICE} started` : `hawkBit off: ${HAWKBIT_SERVICE} stopped, no configuration file`);
  return on && code !== 0 ? 1 : 0;
}
