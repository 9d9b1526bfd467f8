/**
 * Structured logs: one JSON line per event on stdout, for journald (docs/design.md, "How the code is written"). When a person runs the daemon in a
 * terminal (stdout is a TTY) the same events, with the same fields, are written as readable lines:
 * `12:03:04.567 INFO  ready port=8080 dataDir=/var/lib/paypoint`.
 */
import { pino } from 'pino';

export type Logger = pino.Logger;

/** One JSON log line as a readable line (the fields after the message, as key=value). */
export function readableLine(json: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const { time, level, msg, svc: _svc, ...rest } = o;
  const t = typeof time === 'string' ? time.slice(11, 23) : '';
  const fields = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === 'string' && !/[\s"=]/.test(v) && v !== '' ? v : JSON.stringify(v)}`);
  return `${t} ${String(level ?? '').toUpperCase().padEnd(5)} ${String(msg ?? '')}${fields.length ? ' ' + fields.join(' ') : ''}`;
}

/** A pino destination that writes readable lines to fd 1 (synchronously, like the JSON one). */
function ttyDestination(): pino.DestinationStream {
  const out = pino.destination({ fd: 1, sync: true });
  return { write: (chunk: string) => void out.write(chunk.split('\n').filter(Boolean).map(readableLine).join('\n') + '\n') };
}

export function createLogger(level: string = 'info', destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { svc: 'paypoint' },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Secrets never reach the log, whatever a caller passes.
      redact: { paths: ['password', '*.password', '*.*.password', 'authorization', '*.authorization', 'hawkbit_auth_token', '*.hawkbit_auth_token', '*.*.hawkbit_auth_token'], censor: '[hidden]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? (process.stdout.isTTY ? ttyDestination() : pino.destination({ fd: 1, sync: true })),
  );
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
