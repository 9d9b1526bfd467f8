/**
 * Mounting the stick for `paypoint usb-import DEVICE` (docs/appliance.md). The udev rule only starts the
 * import unit; the mount happens here, inside that unit's own mount namespace (PrivateMounts), so no
 * other process ever sees it:
 *   - read phase: `-o ro,nosuid,nodev,noexec` (FAT has no owners: files are root-only, no exec bit);
 *   - write phase (result file, export): unmounted, then mounted again read-write with the same
 *     nosuid,nodev,noexec, only after everything was read and validated;
 *   - always unmounted at the end, with a sync, so the stick can be pulled when the LED says so.
 * A block device is mounted as vfat by the kernel; a regular file (a FAT image: tests, or a technician's
 * image) through fusefat, as the kernel may not have vfat (this build machine has not).
 */
import { execFile } from 'node:child_process';
import { promises as fsp, statSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, PayPointError } from '../../errors.js';

const FAT_OPTS = 'nosuid,nodev,noexec,noatime,uid=0,gid=0,fmask=0177,dmask=0077,utf8,shortname=mixed';

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 30_000 }, (err, _out, stderr) => {
      if (err) reject(new PayPointError(ErrorCode.ImportMount, `${cmd} ${args.join(' ')}: ${String(stderr).trim() || err.message}`));
      else resolve();
    });
  });
}

export class StickMount {
  private mounted: 'ro' | 'rw' | null = null;
  private readonly image: boolean;

  constructor(
    readonly source: string,
    readonly dir: string,
  ) {
    const st = statSync(source);
    if (!st.isBlockDevice() && !st.isFile()) throw new PayPointError(ErrorCode.ImportMount, `${source}: not a block device or image file`);
    this.image = st.isFile();
  }

  static async create(source: string, runDir = '/run/paypoint-usb'): Promise<StickMount> {
    await fsp.mkdir(runDir, { recursive: true, mode: 0o700 });
    const dir = await fsp.mkdtemp(join(runDir, 'stick-'));
    return new StickMount(source, dir);
  }

  async mount(mode: 'ro' | 'rw'): Promise<void> {
    if (this.mounted === mode) return;
    if (this.mounted) await this.unmount(false);
    if (this.image) await run('fusefat', ['-o', mode === 'ro' ? 'ro' : 'rw+', this.source, this.dir]);
    else await run('mount', ['-t', 'vfat', '-o', `${mode},${FAT_OPTS}`, this.source, this.dir]);
    this.mounted = mode;
  }

  async unmount(removeDir = true): Promise<void> {
    if (this.mounted) {
      await run('sync', []);
      if (this.image) await run('fusermount', ['-u', this.dir]);
      else await run('umount', [this.dir]);
      this.mounted = null;
    }
    if (removeDir) await fsp.rmdir(this.dir).catch(() => undefined);
  }
}
