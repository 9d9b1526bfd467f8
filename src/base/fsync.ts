/** The fsync primitives every durable write goes through (docs/design.md, "No money is lost"). */
import { constants as fsConstants, promises as fsp } from 'node:fs';
import { dirname } from 'node:path';

/** Flushes a file's data to the device. An fdatasync on any descriptor of the file flushes it. */
export async function fsyncFile(path: string): Promise<void> {
  const fh = await fsp.open(path, 'r');
  try {
    await fh.datasync();
  } finally {
    await fh.close();
  }
}

/** Makes a file's creation or rename durable: fsync of the directory that holds it. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await fsp.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Writes a whole file atomically: temp file, fsync, rename, fsync of the directory. */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  const fh = await fsp.open(tmp, 'w', mode);
  try {
    // open()'s mode is masked by the umask: under a unit's UMask=0077 (the USB import) a 0640 file came out
    // 0600 and the daemon could not read its new configuration. The caller's mode is meant exactly.
    await fh.chmod(mode);
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fsp.rename(tmp, path);
  await fsyncDir(dirname(path));
}

/** Appends to a file and fsyncs it before returning; fsyncs the directory when the file is new. */
export async function appendDurable(path: string, data: string | Uint8Array): Promise<void> {
  let created = false;
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(path, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_APPEND, 0o600);
    created = true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    fh = await fsp.open(path, 'a');
  }
  try {
    await fh.appendFile(data);
    await fh.datasync();
  } finally {
    await fh.close();
  }
  if (created) await fsyncDir(dirname(path));
}

/**
 * An append-only file kept open, on a descriptor opened O_DSYNC: each append is one write, which
 * returns only once the data and what is needed to read it back (the new size) are on the device,
 * as after fdatasync (POSIX "synchronized I/O data integrity completion"; Linux runs the same
 * vfs_fsync_range(..., datasync) as fdatasync for the written range, include/linux/fs.h
 * generic_write_sync). One thread-pool round trip per append where write + fdatasync took two, and
 * open-append-close then open-fdatasync-close took seven (bench/README.md, "Where the time goes");
 * a failed flush is that write's error. The file's size is known without a stat. Whoever replaces or
 * truncates the file (a compaction's rename, a cut-back after a failed write) calls close() first;
 * the next append opens the file that is there then.
 */
/** Write-only, every write at the end of the file, and durable when the write returns. */
const APPEND_DSYNC = fsConstants.O_WRONLY | fsConstants.O_APPEND | fsConstants.O_DSYNC;

export class DurableAppender {
  private fh: fsp.FileHandle | null = null;
  /** The open in progress: appends that arrive meanwhile share it (one descriptor, never two). */
  private opening: Promise<fsp.FileHandle> | null = null;
  private bytes = 0;

  constructor(
    readonly path: string,
    private readonly mode = 0o600,
  ) {}

  private open(): Promise<fsp.FileHandle> {
    if (this.fh) return Promise.resolve(this.fh);
    this.opening ??= this.openNow().finally(() => (this.opening = null));
    return this.opening;
  }

  private async openNow(): Promise<fsp.FileHandle> {
    let created = false;
    let fh: fsp.FileHandle;
    try {
      // O_APPEND on the new file too ('wx' alone writes at the descriptor's own offset): every write
      // lands at the end, whoever else appends.
      fh = await fsp.open(this.path, APPEND_DSYNC | fsConstants.O_CREAT | fsConstants.O_EXCL, this.mode);
      created = true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      fh = await fsp.open(this.path, APPEND_DSYNC);
    }
    try {
      this.bytes = created ? 0 : (await fh.stat()).size;
      if (created) await fsyncDir(dirname(this.path));
    } catch (e) {
      await fh.close();
      throw e;
    }
    this.fh = fh;
    return fh;
  }

  /** The file's size as this appender knows it (opens the file if needed). */
  async size(): Promise<number> {
    await this.open();
    return this.bytes;
  }

  /** Appends; resolves once the data is durable (O_DSYNC). After a failure the descriptor is dropped (size unknown). */
  async append(data: string): Promise<void> {
    const fh = await this.open();
    try {
      const buf = Buffer.from(data, 'utf8');
      let off = 0;
      // Each write is durable when it returns (O_DSYNC); a short write's rest is another durable write.
      while (off < buf.length) off += (await fh.write(buf, off, buf.length - off)).bytesWritten;
      this.bytes += buf.length;
    } catch (e) {
      await this.close();
      throw e;
    }
  }

  async close(): Promise<void> {
    const fh = this.fh;
    this.fh = null;
    if (fh) await fh.close().catch(() => undefined);
  }
}
