/**
 * rauc-hawkbit-updater's configuration from the one configuration schema ([update] hawkbit_*;
 * docs/appliance.md, "Updates (daemon side)"). Off by default: then no file is written (an old one is
 * removed) and its service is stopped; on: the file is written (mode 0640: it holds the target token)
 * and the service started. The file goes to /run (the root is read-only; the image's drop-in for
 * rauc-hawkbit-updater.service points it there), written again at every boot from paypoint.toml.
 * The key names of its [client] section (hawkbit_server, ssl, ssl_verify, tenant_id, target_name,
 * auth_token, bundle_download_location, post_update_reboot) are rauc-hawkbit-updater's
 * config.conf.example as remembered: UNCHECKED against its source (not available on the build machine).
 */
import { chownSync, promises as fsp, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Config } from '../../config/schema.js';
import { writeFileAtomic } from '../../base/fsync.js';

export const HAWKBIT_CONF = '/run/paypoint-hawkbit/rauc-hawkbit-updater.conf';
export const HAWKBIT_SERVICE = 'rauc-hawkbit-updater.service';

/** The file's text, or null when hawkBit is off. */
export function hawkbitConfigText(cfg: Config): string | null {
  const u = cfg.update;
  if (!u.hawkbit_enabled) return null;
  return [
    '# Written by paypoint update hawkbit-config from /etc/paypoint/paypoint.toml ([update]); do not edit.',
    '[client]',
    `hawkbit_server = ${u.hawkbit_server}`,
    `ssl = ${u.hawkbit_ssl}`,
    `ssl_verify = ${u.hawkbit_ssl}`,
    `tenant_id = ${u.hawkbit_tenant}`,
    `target_name = ${u.hawkbit_target_name || cfg.pos.terminal_id}`,
    `auth_token = ${u.hawkbit_auth_token}`,
    // The bundle is downloaded to the data partition (the root is read-only, /tmp is RAM).
    `bundle_download_location = ${cfg.storage.data_dir}/update/hawkbit.raucb`,
    // The reboot is ours: after the install, once no payment session is open, as for a stick.
    'post_update_reboot = false',
    '',
    '[device]',
    `terminal_id = ${cfg.pos.terminal_id}`,
    '',
  ].join('\n');
}

/** Writes (or removes) the file; returns whether the service should run. Never logs the token. */
export async function writeHawkbitConfig(cfg: Config, path = HAWKBIT_CONF): Promise<boolean> {
  const text = hawkbitConfigText(cfg);
  if (text === null) {
    await fsp.unlink(path).catch(() => undefined);
    return false;
  }
  await fsp.mkdir(dirname(path), { recursive: true, mode: 0o755 });
  await writeFileAtomic(path, text, 0o640);
  // Readable by the updater's own user (meta-rauc's recipe adds the system user rauc-hawkbit), by group.
  const gid = groupId('rauc-hawkbit');
  if (gid !== null && process.getuid?.() === 0) chownSync(path, 0, gid);
  return true;
}

function groupId(name: string): number | null {
  try {
    for (const line of readFileSync('/etc/group', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[0] === name && /^\d+$/.test(f[2] ?? '')) return Number(f[2]);
    }
  } catch {
    // no /etc/group: leave the file to root
  }
  return null;
}
