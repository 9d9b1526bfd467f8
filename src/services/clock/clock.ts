/**
 * Clock honesty (docs/appliance.md). A Raspberry Pi has no battery-backed clock: until NTP has
 * synchronised, the wall clock holds whatever systemd-timesyncd restored at boot (the time of the last
 * shutdown) or worse. We cannot make such a time right, so we say when it may be wrong:
 *   - the status page and /metrics show the state; the LED shows attention while not synchronised;
 *   - a session that finishes while the clock is not known to be synchronised is listed in
 *     `<data_dir>/clock-unsynced.jsonl` and flagged in the CSV export (column clock_synced = no).
 * A report's `time` (contract 3) is always the unit's wall clock at the moment the payment finished,
 * as it was: it is NOT corrected afterwards (the report may already be delivered, and a later guess
 * would be no more honest). docs/appliance.md says so for the processing server's administrator.
 *
 * How synchronisation is detected, cheapest first:
 *   1. `/run/systemd/timesync/synchronized` exists: systemd-timesyncd touches it on its first sync
 *      (systemd >= 239; see systemd-timesyncd.service(8)).
 *   2. `timedatectl show -p NTPSynchronized --value`: timedated answers from the kernel's adjtimex()
 *      status (STA_UNSYNC clear), which chrony and ntpd keep up too.
 *   3. Neither answers (no D-Bus, a container): unknown, shown as such and treated as not synchronised.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface ClockState {
  /** true synchronised, false not, null nobody could tell. */
  synchronized: boolean | null;
  source: 'timesyncd' | 'timedatectl' | 'unknown';
  checkedAt: number;
}

export interface ClockProbeOptions {
  timesyncFile?: string;
  /** timedatectl binary (tests point it at a stand-in, or at a path that does not exist). */
  timedatectl?: string;
  now?: () => number;
}

export const TIMESYNC_FILE = '/run/systemd/timesync/synchronized';

export async function probeClock(opts: ClockProbeOptions = {}): Promise<ClockState> {
  const now = (opts.now ?? Date.now)();
  if (existsSync(opts.timesyncFile ?? TIMESYNC_FILE)) return { synchronized: true, source: 'timesyncd', checkedAt: now };
  const answer = await new Promise<string | null>((resolve) => {
    execFile(opts.timedatectl ?? 'timedatectl', ['show', '-p', 'NTPSynchronized', '--value'], { timeout: 3000 }, (err, stdout) =>
      resolve(err ? null : stdout.trim()),
    );
  });
  if (answer === 'yes') return { synchronized: true, source: 'timedatectl', checkedAt: now };
  if (answer === 'no') return { synchronized: false, source: 'timedatectl', checkedAt: now };
  return { synchronized: null, source: 'unknown', checkedAt: now };
}
