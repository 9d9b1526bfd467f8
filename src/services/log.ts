/** Structured logs: one JSON line per event on stdout, for journald (docs/design.md, "How the code is written"). */
import { pino } from 'pino';

export type Logger = pino.Logger;

export function createLogger(level: string = 'info', destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { svc: 'paypoint' },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Secrets never reach the log, whatever a caller passes.
      redact: { paths: ['password', '*.password', '*.*.password', 'authorization', '*.authorization'], censor: '[hidden]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pino.destination({ fd: 1, sync: true }),
  );
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
