/**
 * An update bundle (`*.raucb`) on the USB stick (docs/appliance.md, "Updates (daemon side)"). Called by the
 * stick import after the admin secret was checked; a bundle needs a unit that has an admin secret (the
 * rule for any configuration after the first one: the stick carries the secret), because a bundle
 * replaces the whole system. The bundle is copied to the data partition first: RAUC's service runs in
 * its own mount namespace and cannot see the stick, which is mounted privately by the import unit; it is
 * removed again once installed or refused. Checks, each refusing with its reason and changing nothing:
 *   1. the unit has A/B slots (rauc answers `rauc status`);
 *   2. `rauc info` verifies the signature against the unit's keyring and reads the manifest;
 *   3. the manifest's compatible string is the unit's (rauc status `compatible`);
 * then `rauc install` writes the other slot and makes it the boot loader's next choice (RAUC does that
 * last, after the slot was written: a power cut before leaves the old slot booting). The reboot itself
 * happens later, after the result file is on the stick and no payment session is open (usb-import CLI).
 */
import { constants, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import { otherSlot, raucReason, type Rauc } from './rauc.js';
import { writeUpdateMarker } from './update-marker.js';

export const BUNDLE_SUFFIX = '.raucb';

export interface BundleOutcome {
  status: 'installed' | 'refused';
  lines: string[];
}

/** The bundles in the stick's top directory (plain files only; a symlink is never followed). */
export async function stickBundles(stickDir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fsp.readdir(stickDir, { withFileTypes: true })) {
    if (e.name.toLowerCase().endsWith(BUNDLE_SUFFIX) && !e.name.startsWith('.')) out.push(e.name);
  }
  return out.sort();
}

/** Copies the bundle from the stick without following a symlink (O_NOFOLLOW), fsync'd. */
async function copyFromStick(src: string, dest: string): Promise<number> {
  const inp = await fsp.open(src, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const st = await inp.stat();
    if (!st.isFile()) throw new Error('not a plain file');
    const out = await fsp.open(dest, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o600);
    try {
      const buf = Buffer.alloc(1024 * 1024);
      let total = 0;
      for (;;) {
        const { bytesRead } = await inp.read(buf, 0, buf.length, null);
        if (bytesRead === 0) break;
        await out.write(buf, 0, bytesRead);
        total += bytesRead;
      }
      await out.sync();
      return total;
    } finally {
      await out.close();
    }
  } finally {
    await inp.close();
  }
}

export interface BundleImportOptions {
  rauc: Rauc;
  stickDir: string;
  name: string;
  /** Where the copy is made (a directory on the data partition), and the marker written. */
  dataDir: string;
  log: Logger;
  now?: () => number;
}

export async function importBundle(o: BundleImportOptions): Promise<BundleOutcome> {
  const now = o.now ?? Date.now;
  const refuse = (why: string): BundleOutcome => {
    o.log.warn({ bundle: o.name, why }, 'update bundle refused');
    return { status: 'refused', lines: ['result: REFUSED', `${o.name}: ${why}`, 'nothing was changed; the unit runs on as before'] };
  };
  let st;
  try {
    st = await o.rauc.status();
  } catch (e) {
    return refuse(`cannot read this unit's slots: ${(e as Error).message}`);
  }
  if (st === null) return refuse('this unit has no A/B root slots (rauc is not installed): update it by flashing the card');
  const other = otherSlot(st);
  if (!other) return refuse('rauc status names no slot to install into');
  const dir = join(o.dataDir, 'update');
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  const copy = join(dir, 'incoming.raucb');
  try {
    try {
      await copyFromStick(join(o.stickDir, o.name), copy);
    } catch (e) {
      return refuse(`cannot copy it from the stick (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    const info = await o.rauc.info(copy);
    if ('error' in info) return refuse(`refused by rauc info (signature or format): ${info.error}`);
    if (info.compatible !== st.compatible) return refuse(`compatible "${info.compatible}" is not this unit's "${st.compatible}"`);
    o.log.info({ bundle: o.name, version: info.version, slot: other.bootname }, 'update bundle verified, installing into the other slot');
    const r = await o.rauc.install(copy);
    if (r.code !== 0) return refuse(`rauc install failed: ${raucReason(r)}`);
    await writeUpdateMarker(o.dataDir, { result: 'installed', at: now(), slot: other.bootname, version: info.version || null, summary: o.name });
    return {
      status: 'installed',
      lines: [
        'result: INSTALLED',
        `${o.name}: version ${info.version || '(none)'} installed into slot ${other.bootname}`,
        'the unit reboots into it when no payment is in progress; it keeps it only if healthy (else it falls back)',
      ],
    };
  } finally {
    await fsp.unlink(copy).catch(() => undefined);
  }
}
