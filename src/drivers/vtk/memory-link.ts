/**
 * Two ByteLinks wired to each other in memory: the VTK driver and the terminal simulator in one process
 * without a pty or a port (the daemon's simulated VTK card reader). Bytes are delivered asynchronously
 * and may be split, like a real stream.
 */
import type { ByteLink } from './byte-link.js';

export function memoryLinkPair(names: [string, string] = ['memory:vmc', 'memory:pos']): [ByteLink, ByteLink] {
  const ends = names.map((description) => ({ description, data: [] as Array<(c: Buffer) => void>, close: [] as Array<(e?: Error) => void> }));
  let closed = false;
  const closeBoth = (): void => {
    if (closed) return;
    closed = true;
    for (const e of ends) for (const h of e.close) setImmediate(() => h());
  };
  const make = (me: number): ByteLink => {
    const peer = ends[1 - me]!;
    return {
      description: ends[me]!.description,
      write: async (data) => {
        if (closed) throw new Error(`${ends[me]!.description} is closed`);
        const copy = Buffer.from(data);
        setImmediate(() => {
          if (!closed) for (const h of peer.data) h(copy);
        });
      },
      onData: (h) => void ends[me]!.data.push(h),
      onClose: (h) => void ends[me]!.close.push(h),
      close: async () => closeBoth(),
    };
  };
  return [make(0), make(1)];
}
