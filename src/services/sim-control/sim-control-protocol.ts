/**
 * The local control channel of simulation mode (docs/design.md): `paypoint sim ...` acts as the customer
 * on a daemon running with simulated devices. One JSON line each way over a Unix socket in the data
 * directory (mode 0600); it exists only when the devices are simulated.
 */
import { join } from 'node:path';

export type SimCommand =
  | { cmd: 'coin'; value: number }
  | { cmd: 'bill'; value: number }
  | { cmd: 'card'; action: 'approve' | 'decline' }
  | { cmd: 'cancel' }
  | { cmd: 'status' };

export type SimReply = { ok: true; message: string; data?: unknown } | { ok: false; code: number; message: string };

export function simSocketPath(dataDir: string, port: number): string {
  return join(dataDir, `sim-${port}.sock`);
}

/** "10", "0.5", "1,50" roubles -> kopecks, exactly; null when not a positive amount of whole kopecks. */
export function roublesToKopecks(text: string): number | null {
  const m = /^(\d{1,9})(?:[.,](\d{1,2}))?$/.exec(text.trim());
  if (!m) return null;
  const k = Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
  return k > 0 ? k : null;
}

export function parseSimCommand(line: string): SimCommand | null {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  switch (o.cmd) {
    case 'coin':
    case 'bill':
      return Number.isSafeInteger(o.value) && (o.value as number) > 0 ? { cmd: o.cmd, value: o.value as number } : null;
    case 'card':
      return o.action === 'approve' || o.action === 'decline' ? { cmd: 'card', action: o.action } : null;
    case 'cancel':
      return { cmd: 'cancel' };
    case 'status':
      return { cmd: 'status' };
    default:
      return null;
  }
}
