/**
 * The logging that drivers need, as a structural subset of pino's Logger (src/services/log.ts), so
 * drivers do not import from the services layer. Pass the daemon's pino logger (or a child of it).
 */
export interface DriverLog {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const nullLog: DriverLog = { debug() {}, info() {}, warn() {}, error() {} };

/** A log that keeps entries in memory (tests, the calibration helper). */
export class MemoryLog implements DriverLog {
  readonly entries: Array<{ level: 'debug' | 'info' | 'warn' | 'error'; obj: object; msg?: string }> = [];
  debug(obj: object, msg?: string): void { this.entries.push({ level: 'debug', obj, msg }); }
  info(obj: object, msg?: string): void { this.entries.push({ level: 'info', obj, msg }); }
  warn(obj: object, msg?: string): void { this.entries.push({ level: 'warn', obj, msg }); }
  error(obj: object, msg?: string): void { this.entries.push({ level: 'error', obj, msg }); }
  at(level: 'debug' | 'info' | 'warn' | 'error'): Array<{ obj: object; msg?: string }> {
    return this.entries.filter((e) => e.level === level);
  }
}
