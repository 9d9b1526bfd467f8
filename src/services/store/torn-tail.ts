/**
 * Recovery from a power cut in the middle of an append (docs/design.md, "nedb-promises": a torn last line makes nedb refuse to
 * load a small datafile). Every nedb append ends with a newline, so bytes after the last newline, and
 * trailing lines that are not JSON (a zero-filled extent), were never acknowledged: they are cut off and
 * kept beside the datafile for the record. A bad line *before* a good one is real corruption and is left
 * for nedb to refuse loudly: the store never guesses with acknowledged data.
 */
import { promises as fsp } from 'node:fs';
import { appendDurable, fsyncFile } from '../../base/fsync.js';

export interface TailRepair {
  /** Bytes removed from the end of the file. */
  removedBytes: number;
  /** Where the removed bytes were kept. */
  keptAt: string | null;
}

function isJsonLine(line: string): boolean {
  try {
    JSON.parse(line);
    return true;
  } catch {
    return false;
  }
}

export async function repairTornTail(path: string, now = Date.now()): Promise<TailRepair> {
  let buf: Buffer;
  try {
    buf = await fsp.readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { removedBytes: 0, keptAt: null };
    throw e;
  }
  let end = buf.length;
  // Cut the unterminated tail, then trailing lines that do not parse.
  end = buf.lastIndexOf(0x0a, end - 1) + 1;
  while (end > 0) {
    const prevNl = buf.lastIndexOf(0x0a, end - 2);
    const line = buf.subarray(prevNl + 1, end - 1).toString('utf8');
    if (line === '' || isJsonLine(line)) break;
    end = prevNl + 1;
  }
  if (end === buf.length) return { removedBytes: 0, keptAt: null };
  const keptAt = `${path}.torn-${now}`;
  await appendDurable(keptAt, buf.subarray(end));
  await fsp.truncate(path, end);
  await fsyncFile(path);
  return { removedBytes: buf.length - end, keptAt };
}
