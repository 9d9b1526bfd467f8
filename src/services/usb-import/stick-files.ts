/**
 * Reading a file from an untrusted stick (docs/appliance.md): only a plain file directly in the stick's
 * top directory, never through a symlink (lstat, then open with O_NOFOLLOW so a swap in between fails
 * too), never more than a cap (read at most cap + 1 bytes: the size on the directory entry is not
 * trusted either).
 */
import { constants, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, PayPointError } from '../../errors.js';

/** Reads `name` from `root`; null when absent. Throws ImportSymlink / ImportTooLarge / ImportInvalid. */
export async function readStickFile(root: string, name: string, cap: number): Promise<Buffer | null> {
  if (name.includes('/') || name === '.' || name === '..') throw new PayPointError(ErrorCode.Internal, `not a plain file name: ${name}`);
  const path = join(root, name);
  let st;
  try {
    st = await fsp.lstat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new PayPointError(ErrorCode.ImportInvalid, `${name}: cannot read (${(e as NodeJS.ErrnoException).code})`, { name });
  }
  if (st.isSymbolicLink()) throw new PayPointError(ErrorCode.ImportSymlink, `${name}: is a symbolic link, refused`, { name });
  if (!st.isFile()) throw new PayPointError(ErrorCode.ImportInvalid, `${name}: not a plain file`, { name });
  if (st.size > cap) throw new PayPointError(ErrorCode.ImportTooLarge, `${name}: too large: ${st.size} bytes, at most ${cap}`, { name, size: st.size, cap });
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw new PayPointError(ErrorCode.ImportSymlink, `${name}: is a symbolic link, refused`, { name });
    throw new PayPointError(ErrorCode.ImportInvalid, `${name}: cannot open (${code})`, { name });
  }
  try {
    const buf = Buffer.alloc(cap + 1);
    let got = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, got, buf.length - got, null);
      if (bytesRead === 0) break;
      got += bytesRead;
      if (got > cap) throw new PayPointError(ErrorCode.ImportTooLarge, `${name}: too large: more than ${cap} bytes`, { name, cap });
    }
    return buf.subarray(0, got);
  } finally {
    await fh.close();
  }
}
