/**
 * An update installed through RAUC by another client (rauc-hawkbit-updater, which runs with
 * `post_update_reboot = false`, or `rauc install` by hand) still needs its reboot, and that reboot must
 * wait for the payment in progress as a stick's does (docs/appliance.md, "Updates (daemon side)").
 * Run by paypoint-update-watch.service as `paypoint update watch`.
 *
 * How a finished installation shows (RAUC 1.8, src/bootchooser.c and src/main.c of its source): an
 * install marks the target slot bad first, writes it, and only then makes it the boot loader's primary
 * (`set_primary`: with GRUB, <slot>_OK=1, <slot>_TRY=0 and ORDER starting with it). `rauc status
 * --output-format=json` names that slot in `boot_primary` (a slot NAME such as "rootfs.1", not a
 * bootname), and a slot is "good" only when OK=1 and TRY=0. So: the booted slot is marked good, and the
 * primary is another slot, good as well: an installation completed and waits for its reboot. While the
 * booted slot is itself on trial (not yet marked good), its primary is the other slot too; that case
 * belongs to `paypoint update mark-good` and is never a reason to reboot here.
 */
import type { RaucSlot, RaucStatus } from './rauc.js';
import { bootedSlot } from './rauc.js';

export type WatchDecision =
  | { action: 'none'; why: string }
  | { action: 'reboot'; into: RaucSlot };

/** Pure: what a `rauc status` means for the watcher. */
export function pendingSwitch(st: RaucStatus | null): WatchDecision {
  if (st === null) return { action: 'none', why: 'no A/B' };
  const booted = bootedSlot(st);
  if (!booted) return { action: 'none', why: 'rauc names no booted slot' };
  if (booted.bootStatus !== 'good') return { action: 'none', why: `slot ${booted.bootname} is on trial (not yet marked good)` };
  if (st.bootPrimary === null) return { action: 'none', why: 'rauc names no primary slot' };
  const primary = st.slots.find((s) => s.name === st.bootPrimary);
  if (!primary) return { action: 'none', why: `primary "${st.bootPrimary}" is not a slot rauc lists` };
  if (primary === booted) return { action: 'none', why: `slot ${booted.bootname} is booted and primary` };
  if (primary.bootStatus !== 'good') return { action: 'none', why: `primary slot ${primary.bootname} is not bootable` };
  return { action: 'reboot', into: primary };
}

export interface WatchOptions {
  status(): Promise<RaucStatus | null>;
  /** A stick import is running (it reboots by itself once its result is on the stick). */
  importRunning(): Promise<boolean>;
  /** Records the installation for the page (once per target slot) before waiting. */
  noteInstalled(into: RaucSlot): Promise<void>;
  /** Waits until no payment session is open, then reboots. */
  rebootWhenIdle(): Promise<void>;
  sleep(ms: number): Promise<void>;
  intervalMs: number;
  log: (msg: string, fields?: Record<string, unknown>) => void;
  /** Stop after this many polls (tests); forever when absent. */
  maxPolls?: number;
}

/** Polls RAUC; on a completed installation, reboots once idle. Returns when the reboot was asked for. */
export async function watchInstalls(o: WatchOptions): Promise<'rebooting' | 'stopped'> {
  let lastWhy = '';
  for (let i = 0; o.maxPolls === undefined || i < o.maxPolls; i++) {
    let d: WatchDecision;
    try {
      d = pendingSwitch(await o.status());
    } catch (e) {
      d = { action: 'none', why: `rauc status failed: ${(e as Error).message}` };
    }
    if (d.action === 'reboot' && (await o.importRunning())) d = { action: 'none', why: 'a stick import is running; it reboots by itself' };
    if (d.action === 'reboot') {
      o.log('update installed through RAUC: rebooting into it once no payment is in progress', { slot: d.into.bootname, version: d.into.bundleVersion });
      await o.noteInstalled(d.into);
      await o.rebootWhenIdle();
      return 'rebooting';
    }
    if (d.why !== lastWhy) o.log(`update watch: ${d.why}`);
    lastWhy = d.why;
    await o.sleep(o.intervalMs);
  }
  return 'stopped';
}
