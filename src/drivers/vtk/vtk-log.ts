/** What the VTK driver's parts share: the log they write to (pino's Logger satisfies it) and the clock. */
export interface VtkLog {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const noLog: VtkLog = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** Monotonic milliseconds: link and operation timers must not jump with the wall clock (NTP). */
export function mono(): number {
  return performance.now();
}
