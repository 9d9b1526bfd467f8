/**
 * RAUC, the updater of the A/B root slots (docs/appliance.md, "Updates (daemon side)"), driven through
 * its command line: `rauc status --output-format=json --detailed`, `rauc status mark-good|mark-bad`,
 * `rauc info --output-format=json BUNDLE` and `rauc install BUNDLE`. The JSON field names are those of
 * RAUC 1.8 (Debian bookworm's `rauc`), read from its own output: `booted` is the booted slot's
 * bootname, each slot carries `state` ("booted", "inactive", ...) and `boot_status` ("good" or "bad"
 * as the boot loader backend reports it: with GRUB, a slot booted but not yet marked good has TRY=1 and
 * reads "bad"), and with --detailed `slot_status.bundle.version` of the bundle installed into it.
 * No rauc on the machine (a development machine, an image without A/B): `available` is false and the
 * unit says "no A/B".
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';

/** RAUC's system configuration: without it, rauc may be installed but the unit has no A/B slots. */
export const RAUC_SYSTEM_CONF = '/etc/rauc/system.conf';

export interface RaucSlot {
  name: string;
  class: string;
  bootname: string | null;
  state: string;
  bootStatus: string | null;
  bundleVersion: string | null;
}

export interface RaucStatus {
  compatible: string;
  /** Bootname of the booted slot (A or B). */
  booted: string | null;
  bootPrimary: string | null;
  slots: RaucSlot[];
}

export interface RunResult {
  code: number;
  out: string;
  err: string;
  /** The program is not there at all (ENOENT). */
  missing: boolean;
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: unknown }) | null;
      const missing = e?.code === 'ENOENT';
      const code = e ? (typeof e.code === 'number' ? e.code : 1) : 0;
      resolve({ code, out: String(stdout), err: String(stderr), missing });
    });
  });
}

/**
 * RAUC's error lines without its progress: what goes into a result file. `rauc install` through the
 * D-Bus service (RAUC 1.8, src/main.c) prints the Operation's value ("installing"), each progress step
 * as "%3d%% message" and the reason as "LastError: message": the reason goes first, the steps are left
 * out (with them, a refusal's reason was past the 400 characters kept).
 */
export function raucReason(r: RunResult): string {
  const lines = `${r.err}\n${r.out}`
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^rauc-Message:/.test(l) && !/^\(rauc:\d+\)/.test(l) && !l.startsWith('{'))
    .filter((l) => !/^\d{1,3}% /.test(l) && !/^(idle|installing)$/.test(l));
  const last = lines.filter((l) => l.startsWith('LastError: ')).map((l) => l.slice('LastError: '.length));
  const rest = lines.filter((l) => !l.startsWith('LastError: '));
  return [...last, ...rest].join('; ').slice(0, 400) || `rauc exited with ${r.code}`;
}

export function parseRaucStatus(text: string): RaucStatus {
  const j = JSON.parse(text) as {
    compatible?: unknown;
    booted?: unknown;
    boot_primary?: unknown;
    slots?: Array<Record<string, Record<string, unknown>>>;
  };
  if (typeof j.compatible !== 'string' || !Array.isArray(j.slots)) throw new Error('rauc status: not the JSON of rauc status');
  const slots: RaucSlot[] = [];
  for (const entry of j.slots) {
    for (const [name, s] of Object.entries(entry)) {
      const bundle = ((s.slot_status as Record<string, unknown> | undefined)?.bundle ?? {}) as Record<string, unknown>;
      slots.push({
        name,
        class: String(s.class ?? ''),
        bootname: typeof s.bootname === 'string' ? s.bootname : null,
        state: String(s.state ?? ''),
        bootStatus: typeof s.boot_status === 'string' ? s.boot_status : null,
        bundleVersion: typeof bundle.version === 'string' ? bundle.version : null,
      });
    }
  }
  return {
    compatible: j.compatible,
    booted: typeof j.booted === 'string' ? j.booted : null,
    bootPrimary: typeof j.boot_primary === 'string' ? j.boot_primary : null,
    slots,
  };
}

export function bootedSlot(s: RaucStatus): RaucSlot | null {
  return s.slots.find((x) => x.bootname !== null && x.bootname === s.booted) ?? s.slots.find((x) => x.state === 'booted') ?? null;
}

/** The other root slot (the one an update is installed into). */
export function otherSlot(s: RaucStatus): RaucSlot | null {
  const b = bootedSlot(s);
  return s.slots.find((x) => x !== b && x.class === (b?.class ?? 'rootfs') && x.bootname !== null) ?? null;
}

export interface BundleInfo {
  compatible: string;
  version: string;
}

export class Rauc {
  constructor(
    readonly cmd = 'rauc',
    private readonly timeoutMs = 60_000,
  ) {}

  /** null when rauc is not installed (or not configured: no system.conf). Throws when it is but cannot tell (its reason in the message). */
  async status(): Promise<RaucStatus | null> {
    const r = await run(this.cmd, ['status', '--detailed', '--output-format=json'], this.timeoutMs);
    if (r.missing) return null;
    if (r.code !== 0 && !existsSync(RAUC_SYSTEM_CONF)) return null;
    if (r.code !== 0) throw new Error(`rauc status: ${raucReason(r)}`);
    return parseRaucStatus(r.out.trim());
  }

  async mark(how: 'mark-good' | 'mark-bad', slot = 'booted'): Promise<RunResult> {
    return run(this.cmd, ['status', how, slot], this.timeoutMs);
  }

  /** Checks the bundle's signature against the keyring (rauc info verifies it) and reads its manifest. */
  async info(bundle: string): Promise<BundleInfo | { error: string }> {
    const r = await run(this.cmd, ['info', '--output-format=json', bundle], this.timeoutMs);
    if (r.code !== 0 || r.missing) return { error: r.missing ? 'rauc is not installed on this unit' : raucReason(r) };
    try {
      const j = JSON.parse(r.out.trim()) as { compatible?: unknown; version?: unknown };
      return { compatible: String(j.compatible ?? ''), version: j.version === null || j.version === undefined ? '' : String(j.version) };
    } catch {
      return { error: 'rauc info: no manifest in its answer' };
    }
  }

  /** Installs into the other slot; RAUC verifies the signature again and switches the boot order last. */
  install(bundle: string, timeoutMs = 30 * 60_000): Promise<RunResult> {
    return run(this.cmd, ['install', bundle], timeoutMs);
  }
}
