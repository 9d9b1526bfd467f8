/**
 * The one wait of the tests: asks `probe` until it gives a value (anything but undefined, null or
 * false), then resolves with that value. The time limit is a hang guard, not a timing assertion: a
 * condition that never comes fails with `what`, so the log says what was awaited.
 */
export interface WaitOptions {
  /** Hang guard; default 20 s. */
  timeoutMs?: number;
  /** Pause between two asks; default 20 ms. */
  everyMs?: number;
}

/** The hang guard ran out (a helper that reports the last answer instead catches this one only). */
export class WaitTimeout extends Error {}

export async function waitFor<T>(what: string, probe: () => T | undefined | null | false | Promise<T | undefined | null | false>, opts: WaitOptions | number = {}): Promise<T> {
  const { timeoutMs = 20_000, everyMs = 20 } = typeof opts === 'number' ? { timeoutMs: opts } : opts;
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > end) throw new WaitTimeout(`gave up waiting for ${what} (${timeoutMs} ms)`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** For the helpers that answer with the last reading when the wait runs out (their caller checks it): a timeout is not an error there. */
export function lastAnswer(e: unknown): void {
  if (!(e instanceof WaitTimeout)) throw e;
}
