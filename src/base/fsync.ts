/** The fsync primitives every durable write goes through (DEVELOPERS.md, "No money is lost"). */
import { promises as fsp } from 'node:fs';
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
    fh = await fsp.open(path, 'wx', 0o600);
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
