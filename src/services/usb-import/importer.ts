/**
 * The USB-stick import (docs/appliance.md), on a stick already mounted (read-only) at `stickDir`:
 *   1. paypoint-secret.txt checked against the unit's admin secret hash (admin-secret.ts);
 *   2. paypoint.toml read (no symlink, size cap) and validated by the same code as
 *      `paypoint config check` (config/load.ts: decodeConfigText + parseConfigText, which loadConfigFile
 *      runs on a file's bytes; here on the bytes read once, so what is validated is what is installed);
 *   3. the current file kept as `<config>.previous`, the new one written atomically (fsync.ts);
 *   4. applied (the daemon restarted) and, if it is not healthy within unit.apply_timeout_s, the previous
 *      file put back and applied again;
 *   5. an export (export-csv.ts) when the stick asks for one;
 *   6. paypoint-result.txt written back to the stick, and the result left for the LED (result-marker.ts).
 */
import { chownSync, existsSync, promises as fsp, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Config } from '../../config/schema.js';
import { ConfigError, decodeConfigText, formatProblem, loadConfigFile, MAX_CONFIG_BYTES, parseConfigText } from '../../config/load.js';
import { isPayPointError } from '../../errors.js';
import type { Logger } from '../log.js';
import { writeFileAtomic } from '../../base/fsync.js';
import { journalDay } from '../store/journal.js';
import { MAX_SECRET_BYTES, SECRET_FILE, secretMatches, secretText } from './admin-secret.js';
import { EXPORT_REQUEST_FILE, exportCsv, parseExportRequest } from './export-csv.js';
import { exportCashCsv } from './export-cash-csv.js';
import { writeImportMarker } from './result-marker.js';
import { readStickFile } from './stick-files.js';
import { importBundle, stickBundles } from '../update/bundle-import.js';
import { Rauc } from '../update/rauc.js';

export const CONFIG_FILE = 'paypoint.toml';
export const RESULT_FILE = 'paypoint-result.txt';

/** Restarts the daemon on the installed file and tells whether it became healthy. */
export interface Applier {
  apply(cfg: Config): Promise<void>;
  waitHealthy(cfg: Config, timeoutMs: number): Promise<boolean>;
}

export interface ImportOptions {
  stickDir: string;
  /** The unit's configuration file (e.g. /etc/paypoint/paypoint.toml). */
  configPath: string;
  applier: Applier;
  /** Writes a file to the stick (the caller may have to remount it read-write first). */
  writeToStick(name: string, data: string): Promise<void>;
  log: Logger;
  now?: () => number;
  /** Clock state for the result file: true, false or null (unknown). */
  clockSynchronized?: boolean | null;
  hostname?: string;
  /** RAUC for an update bundle on the stick (default: the `rauc` command). */
  rauc?: Rauc;
}

export type ImportStatus = 'applied' | 'refused' | 'rolled-back' | 'nothing' | 'installed';

export interface ImportOutcome {
  status: ImportStatus;
  /** Lines of the result file after its header. */
  lines: string[];
  exportFile: string | null;
  /** An update bundle was installed: reboot once no payment session is open. */
  reboot?: boolean;
}

/** The configuration now in force (for its admin secret and data directory), or null on a new unit. */
export function currentConfig(configPath: string): Config | null {
  for (const p of [configPath, `${configPath}.previous`]) {
    if (!existsSync(p)) continue;
    try {
      return loadConfigFile(p);
    } catch {
      // an unreadable current file: fall back to the kept one
    }
  }
  return null;
}

/**
 * The admin secret hash the unit is guarded by. A unit whose own file does not load (it runs in the
 * configuration-error mode, docs/appliance.md, "Configuration error") keeps its guard when the hash is
 * still readable in that file: a broken field elsewhere must not let any stick reconfigure the unit.
 * Otherwise the hash of the file in force (`current`: the file, else the kept previous one).
 */
export function unitSecretHash(configPath: string, current: Config | null): string {
  if (existsSync(configPath)) {
    let loads = true;
    try {
      loadConfigFile(configPath);
    } catch {
      loads = false;
    }
    if (!loads) {
      try {
        const m = /^\s*admin_secret_sha256\s*=\s*["']([0-9a-f]{64})["']/m.exec(readFileSync(configPath, 'utf8'));
        if (m) return m[1]!;
      } catch {
        // unreadable: the kept previous file's hash, below
      }
    }
  }
  return current?.unit.admin_secret_sha256 ?? '';
}

async function installFile(configPath: string, bytes: Uint8Array): Promise<void> {
  await writeFileAtomic(configPath, bytes, 0o640);
  // The daemon runs as its own user: give the file the group of its directory (root:paypoint 0750).
  if (process.getuid?.() === 0) {
    try {
      chownSync(configPath, 0, statSync(dirname(configPath)).gid);
    } catch {
      // not fatal: root can read it, the health check will tell if the daemon cannot
    }
  }
}

export async function runImport(o: ImportOptions): Promise<ImportOutcome> {
  const now = o.now ?? Date.now;
  const lines: string[] = [];
  const current = currentConfig(o.configPath);
  const refuse = async (why: string[], dataDir: string | null): Promise<ImportOutcome> => {
    o.log.warn({ why }, 'usb import refused');
    if (dataDir) await writeImportMarker(dataDir, { result: 'refused', at: now(), summary: why[0] ?? 'refused' }).catch(() => undefined);
    return finish({ status: 'refused', lines: ['result: REFUSED', ...why], exportFile: null });
  };
  const finish = async (r: ImportOutcome): Promise<ImportOutcome> => {
    const clock = o.clockSynchronized === undefined || o.clockSynchronized === null ? 'unknown' : o.clockSynchronized ? 'yes' : 'no';
    const header = [
      'PayPoint: USB stick import',
      `unit: ${current?.pos.terminal_id ?? '(new unit)'}${o.hostname ? ` on ${o.hostname}` : ''}`,
      `time: ${new Date(now()).toISOString()} (clock synchronised: ${clock})`,
    ];
    await o.writeToStick(RESULT_FILE, [...header, ...r.lines, ''].join('\r\n'));
    return r;
  };
  const dataDir = current?.storage.data_dir ?? null;

  // 1. The admin secret, when the unit has one: it guards the configuration and the export alike.
  let secretOk = true;
  const expected = unitSecretHash(o.configPath, current);
  let stickSecret: Buffer | null;
  let configBytes: Buffer | null;
  let exportReq: Buffer | null;
  try {
    stickSecret = await readStickFile(o.stickDir, SECRET_FILE, MAX_SECRET_BYTES);
    configBytes = await readStickFile(o.stickDir, CONFIG_FILE, MAX_CONFIG_BYTES);
    exportReq = await readStickFile(o.stickDir, EXPORT_REQUEST_FILE, 1024);
  } catch (e) {
    if (isPayPointError(e)) return refuse([e.message], dataDir);
    throw e;
  }
  if (expected !== '') {
    if (stickSecret === null) secretOk = false;
    else secretOk = secretMatches(secretText(stickSecret), expected);
    if (!secretOk) {
      return refuse([stickSecret === null ? `this unit has an admin secret: put it in ${SECRET_FILE} on the stick` : `${SECRET_FILE}: wrong admin secret`], dataDir);
    }
  }
  // An update bundle: only on a unit with an admin secret (checked above), and alone on its stick.
  let bundles: string[];
  try {
    bundles = await stickBundles(o.stickDir);
  } catch {
    bundles = [];
  }
  if (bundles.length > 0) {
    if (expected === '') return refuse([`${bundles[0]}: an update bundle needs a unit that has an admin secret: import a configuration that sets unit.admin_secret_sha256 first`], dataDir);
    if (bundles.length > 1) return refuse([`more than one update bundle on the stick (${bundles.join(', ')}): leave one`], dataDir);
    if (configBytes !== null || exportReq !== null) return refuse([`${bundles[0]}: an update bundle goes on a stick of its own (no ${CONFIG_FILE} or ${EXPORT_REQUEST_FILE} beside it)`], dataDir);
    const b = await importBundle({ rauc: o.rauc ?? new Rauc(), stickDir: o.stickDir, name: bundles[0]!, dataDir: dataDir!, log: o.log, now });
    await writeImportMarker(dataDir!, { result: b.status === 'installed' ? 'applied' : 'refused', at: now(), summary: b.lines[1] ?? '' }).catch(() => undefined);
    return finish({ status: b.status, lines: b.lines, exportFile: null, reboot: b.status === 'installed' });
  }
  if (configBytes === null && exportReq === null) {
    return finish({ status: 'nothing', lines: ['result: NOTHING TO DO', `no ${CONFIG_FILE} and no ${EXPORT_REQUEST_FILE} on the stick`], exportFile: null });
  }

  let status: ImportStatus = 'nothing';
  let applied: Config | null = null;
  if (configBytes !== null) {
    // 2. Validate with the configuration loader's own code.
    let next: Config;
    try {
      next = parseConfigText(decodeConfigText(configBytes, CONFIG_FILE), CONFIG_FILE);
    } catch (e) {
      if (e instanceof ConfigError) return refuse(e.problems.map(formatProblem), dataDir);
      throw e;
    }
    if (next.unit.admin_secret_sha256 === '') {
      return refuse([`${CONFIG_FILE}:0: unit.admin_secret_sha256: must be set in a file from a stick (the hash of the admin secret that later sticks must carry)`], dataDir);
    }
    // 3. Keep the previous file, install the new one atomically.
    const previous = existsSync(o.configPath) ? await fsp.readFile(o.configPath) : null;
    if (previous) await writeFileAtomic(`${o.configPath}.previous`, previous, 0o640);
    await installFile(o.configPath, configBytes);
    o.log.info({ config: o.configPath }, 'usb import: new configuration installed, applying');
    // 4. Apply; roll back if not healthy within the bound.
    const bound = next.unit.apply_timeout_s * 1000;
    await o.applier.apply(next).catch((e) => o.log.error({ err: { message: (e as Error).message } }, 'apply failed'));
    if (await o.applier.waitHealthy(next, bound)) {
      status = 'applied';
      applied = next;
      lines.push('result: APPLIED', `${CONFIG_FILE}: applied; the previous file is kept as ${o.configPath}.previous`);
    } else {
      status = 'rolled-back';
      if (previous) await installFile(o.configPath, previous);
      else await fsp.unlink(o.configPath).catch(() => undefined);
      const back = previous ? currentConfig(o.configPath) : null;
      let healthyAgain = false;
      if (back) {
        await o.applier.apply(back).catch(() => undefined);
        healthyAgain = await o.applier.waitHealthy(back, back.unit.apply_timeout_s * 1000);
      }
      lines.push(
        'result: REFUSED (rolled back)',
        `${CONFIG_FILE}: the daemon was not healthy within ${next.unit.apply_timeout_s} s with this file (see the service log)`,
        previous ? `the previous configuration is back${healthyAgain ? ' and healthy' : ', but the daemon is NOT healthy with it either'}` : 'there was no previous file to put back',
      );
      o.log.error({ healthyAgain }, 'usb import: rolled back');
    }
    const markerDir = (status === 'applied' ? applied?.storage.data_dir : null) ?? dataDir ?? next.storage.data_dir;
    await writeImportMarker(markerDir, { result: status === 'applied' ? 'applied' : 'refused', at: now(), summary: lines[1] ?? '' }).catch(() => undefined);
  }

  // 5. Export, if asked.
  let exportFile: string | null = null;
  if (exportReq !== null) {
    const cfg = applied ?? current;
    const range = parseExportRequest(exportReq.toString('utf8'), journalDay(now()));
    if (typeof range === 'string') lines.push(`export: refused: ${range}`);
    else if (!cfg) lines.push('export: nothing to export on a unit with no configuration yet');
    else {
      const { csv, count } = await exportCsv(cfg.storage.data_dir, range);
      exportFile = `paypoint-export-${cfg.pos.terminal_id}-${range.from}_${range.to}.csv`;
      await o.writeToStick(exportFile, csv);
      lines.push(`export: ${exportFile}: ${count} sessions from ${range.from} to ${range.to} (UTC days)`);
      // The cash operations of the same days beside it (collections, refills).
      const cash = await exportCashCsv(cfg.storage.data_dir, range);
      const cashFile = `paypoint-cash-${cfg.pos.terminal_id}-${range.from}_${range.to}.csv`;
      await o.writeToStick(cashFile, cash.csv);
      lines.push(`export: ${cashFile}: ${cash.count} collections and refills`);
    }
    if (status === 'nothing') lines.unshift('result: EXPORTED');
  }
  return finish({ status, lines, exportFile });
}
