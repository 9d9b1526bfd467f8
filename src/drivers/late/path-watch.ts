/**
 * Noticing a serial device come back (README.md, "Devices that cannot be opened"): the directory of its
 * path is watched (inotify), and a node or link created or changed there under the path's name (the
 * kernel's /dev/ttyUSB0, udev's symlink or its permissions, a pty link in tests) is reported at once, so
 * a port that was unplugged is tried again within moments instead of at the next, possibly long, backoff
 * try. Null where the directory cannot be watched (a udev by-id directory removed with its last device):
 * the backoff alone finds the device then.
 */
import { watch } from 'node:fs';
import { basename, dirname } from 'node:path';

export interface PathWatch {
  close(): void;
}

export function watchPath(path: string, onChange: () => void): PathWatch | null {
  const name = basename(path);
  try {
    const w = watch(dirname(path), { persistent: false }, (_event, file) => {
      if (file === name) onChange();
    });
    w.on('error', () => w.close());
    return { close: () => w.close() };
  } catch {
    return null;
  }
}
