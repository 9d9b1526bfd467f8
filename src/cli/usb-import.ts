/**
 * `paypoint usb-import MOUNTPOINT|DEVICE [--config FILE] [--unit NAME] [--systemctl CMD]`: run by
 * paypoint-usb-import@.service when udev sees a FAT stick (docs/appliance.md; systemd/). DEVICE (a block
 * device or a FAT image file) is mounted here (services/usb-import/stick-mount.ts); a MOUNTPOINT (a
 * directory) is used as it is, already mounted by the caller.
 * Exit codes: 0 applied, exported or nothing to do; 1 refused or rolled back.
 */
import { constants, existsSync, promises as fsp, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { translateLine } from './messages.js';
import { createLogger } from '../services/log.js';
import { probeClock } from '../services/clock/clock.js';
import { runImport } from '../services/usb-import/importer.js';
import { StickMount } from '../services/usb-import/stick-mount.js';
import { rebootWhenIdle, SystemdApplier } from '../services/usb-import/systemd-applier.js';
import { currentConfig } from '../services/usb-import/importer.js';
import { CliFailure, t, useSchemaLanguage, type CliContext } from './context.js';

export const DEFAULT_CONFIG_PATH = '/etc/paypoint/paypoint.toml';

/** Writes a whole file on the stick and flushes it (FAT under fusefat has no reliable rename). */
async function writeOnStick(dir: string, name: string, data: string): Promise<void> {
  const fh = await fsp.open(join(dir, name), constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync().catch(() => undefined);
  } finally {
    await fh.close();
  }
}

export async function usbImportCommand(ctx: CliContext, target: string, values: { config?: string; unit?: string; systemctl?: string; runDir?: string }): Promise<number> {
  if (!existsSync(target)) throw new CliFailure(t(ctx, 'import.no-target', { t: target }));
  // By hand on a machine without systemd, the apply step could only wait out its whole bound and then
  // blame the daemon's health: say at once what is missing instead (a stand-in systemctl is explicit).
  if (values.systemctl === undefined && !existsSync('/run/systemd/system')) throw new CliFailure(t(ctx, 'import.no-systemd'));
  await useSchemaLanguage(ctx);
  const log = createLogger('info');
  const applier = new SystemdApplier({ unit: values.unit ?? 'paypoint.service', systemctl: values.systemctl });
  const clock = await probeClock();
  const common = {
    configPath: values.config ?? DEFAULT_CONFIG_PATH,
    applier,
    log,
    clockSynchronized: clock.synchronized,
    hostname: hostname(),
  };

  if (statSync(target).isDirectory()) {
    const r = await runImport({ ...common, stickDir: target, writeToStick: (name, data) => writeOnStick(target, name, data) });
    for (const l of r.lines) ctx.err(translateLine(ctx.lang, l));
    if (r.reboot) await rebootAfterUpdate(common.configPath, values.systemctl, log);
    return r.status === 'refused' || r.status === 'rolled-back' ? 1 : 0;
  }

  const stick = await StickMount.create(target, values.runDir);
  let rebootAfter = false;
  try {
    await stick.mount('ro');
    // Everything is read in the read-only phase; what goes back to the stick is collected and written
    // in the read-write phase, after the stick's files were read and validated.
    const pending: Array<[string, string]> = [];
    const r = await runImport({
      ...common,
      stickDir: stick.dir,
      writeToStick: async (name, data) => {
        pending.push([name, data]);
      },
    });
    await stick.mount('rw');
    for (const [name, data] of pending) await writeOnStick(stick.dir, name, data);
    log.info({ status: r.status, export: r.exportFile }, 'usb import finished');
    rebootAfter = r.reboot === true;
    for (const l of r.lines) ctx.err(translateLine(ctx.lang, l));
    return r.status === 'refused' || r.status === 'rolled-back' ? 1 : 0;
  } finally {
    await stick.unmount();
    // After the result is on the stick and the stick unmounted.
    if (rebootAfter) await rebootAfterUpdate(common.configPath, values.systemctl, log);
  }
}

async function rebootAfterUpdate(configPath: string, systemctl: string | undefined, log: ReturnType<typeof createLogger>): Promise<void> {
  const cfg = currentConfig(configPath);
  if (!cfg) return;
  log.info({}, 'update installed: rebooting into it once no payment is in progress');
  await rebootWhenIdle(cfg, { systemctl, log: (m) => log.info({}, m) });
}
