/**
 * Mark the booted slot good only when the unit is healthy (docs/appliance.md, "Updates (daemon side)"),
 * run once per boot by paypoint-update-mark-good.service. A slot the boot loader booted but that is not
 * yet marked good (RAUC's boot_status "bad": with GRUB, its TRY flag is set) gets update.mark_good_timeout_s
 * to show the appliance's health: the daemon ready (systemd's active: Type=notify, READY=1 after the store
 * loaded and SOAP listens), /api/status answering healthy (store writable, event loop on time) with its
 * outbox read from the store. Then `rauc status mark-good`. Otherwise `rauc status mark-bad` and a reboot:
 * the boot loader then starts the other slot. Only when the other slot is good: with nothing to fall back
 * to (a new unit whose second slot is empty), rebooting would only loop, so the unit stays up and says so.
 */
import type { Logger } from '../log.js';
import { bootedSlot, otherSlot, raucReason, type Rauc } from './rauc.js';
import { readUpdateMarker, writeUpdateMarker, type UpdateMarker } from './update-marker.js';

export type MarkOutcome = 'no-ab' | 'already-good' | 'marked-good' | 'fell-back' | 'marked-bad' | 'unhealthy-no-fallback';

export interface MarkGoodOptions {
  rauc: Rauc;
  dataDir: string;
  timeoutMs: number;
  /** Resolves true once the unit is healthy, false when the time is up. */
  waitHealthy(timeoutMs: number): Promise<boolean>;
  reboot(): Promise<void>;
  log: Logger;
  now?: () => number;
}

export async function markGoodAfterBoot(o: MarkGoodOptions): Promise<{ outcome: MarkOutcome; line: string }> {
  const now = o.now ?? Date.now;
  const st = await o.rauc.status();
  if (st === null) return { outcome: 'no-ab', line: 'no A/B: rauc is not installed, nothing to mark' };
  const booted = bootedSlot(st);
  if (!booted) throw new Error('rauc status names no booted slot');
  if (booted.bootStatus === 'good') return { outcome: 'already-good', line: `slot ${booted.bootname} is already marked good` };
  const prev = readUpdateMarker(o.dataDir);
  o.log.info({ slot: booted.bootname, timeoutS: o.timeoutMs / 1000 }, 'update: waiting for the unit to be healthy before marking the slot good');
  const healthy = await o.waitHealthy(o.timeoutMs);
  if (healthy) {
    const r = await o.rauc.mark('mark-good');
    if (r.code !== 0) throw new Error(`rauc status mark-good: ${raucReason(r)}`);
    // An update that was installed into (or marked bad on) the other slot, and we are not on it: the
    // boot loader fell back.
    const fellBack = prev !== null && (prev.result === 'installed' || prev.result === 'marked-bad') && prev.slot !== booted.bootname;
    let m: UpdateMarker | null;
    if (fellBack) {
      const why = prev.result === 'marked-bad' ? prev.summary : `slot ${prev.slot} did not come up`;
      m = { result: 'fell-back', at: now(), slot: booted.bootname, version: booted.bundleVersion, summary: `slot ${prev.slot}${prev.version ? ` (${prev.version})` : ''} was not healthy (${why})` };
    } else if (prev?.result === 'fell-back' && prev.slot === booted.bootname) {
      m = null; // still on the slot it fell back to: keep saying so until the next update
    } else {
      m = { result: 'marked-good', at: now(), slot: booted.bootname, version: booted.bundleVersion, summary: 'healthy' };
    }
    if (m) await writeUpdateMarker(o.dataDir, m);
    o.log.info({ slot: booted.bootname, fellBack }, 'update: slot marked good');
    return fellBack
      ? { outcome: 'fell-back', line: `slot ${booted.bootname} marked good; fell back: ${m!.summary}` }
      : { outcome: 'marked-good', line: `slot ${booted.bootname} marked good` };
  }
  const other = otherSlot(st);
  if (other?.bootStatus !== 'good') {
    o.log.error({ slot: booted.bootname }, 'update: unit not healthy, and the other slot is not good: staying on this slot');
    return { outcome: 'unhealthy-no-fallback', line: `slot ${booted.bootname}: not healthy within ${o.timeoutMs / 1000} s; the other slot is not good, so no fallback` };
  }
  const summary = `not healthy within ${o.timeoutMs / 1000} s`;
  await writeUpdateMarker(o.dataDir, { result: 'marked-bad', at: now(), slot: booted.bootname, version: booted.bundleVersion, summary });
  const r = await o.rauc.mark('mark-bad');
  if (r.code !== 0) throw new Error(`rauc status mark-bad: ${raucReason(r)}`);
  o.log.error({ slot: booted.bootname, fallback: other.bootname }, 'update: slot marked bad, rebooting into the other slot');
  await o.reboot();
  return { outcome: 'marked-bad', line: `slot ${booted.bootname} marked bad (${summary}); rebooting into slot ${other.bootname}` };
}
