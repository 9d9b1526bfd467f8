/**
 * Opening a configured device that may not be there yet (README.md, "Devices that cannot be opened"): a
 * serial adapter unplugged, a wrong tty, an I2C expander not answering, a GPIO line that cannot be
 * exported. The daemon starts without it: the device is faulted (error 506, DeviceUnavailable, naming
 * the path or address) and its opening is tried again with a backoff (first delay doubling up to a
 * maximum), so a device that appears later joins without a restart. A serial port that fails after it
 * was opened is reopened by its driver on the same backoff (relink.ts).
 */
import { ErrorCode, PayPointError } from '../../errors.js';
import type { DriverLog } from '../driver-log.js';

export interface BackoffOptions {
  /** First delay after a failed open, ms. */
  firstMs: number;
  /** The delay doubles up to this, ms. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { firstMs: 2_000, maxMs: 60_000 };

/** first, 2*first, 4*first, ... up to max; reset() after a success. */
export class Backoff {
  private failures = 0;

  constructor(private readonly o: BackoffOptions) {
    if (!(o.firstMs > 0) || !(o.maxMs >= o.firstMs)) throw new RangeError(`backoff needs 0 < first (${o.firstMs}) <= max (${o.maxMs})`);
  }

  /** The delay before the next try after one more failure. */
  next(): number {
    const d = Math.min(this.o.maxMs, this.o.firstMs * 2 ** Math.min(this.failures, 30));
    this.failures++;
    return d;
  }

  reset(): void {
    this.failures = 0;
  }

  get attempts(): number {
    return this.failures;
  }
}

/** The fault of a device not (yet) opened: for health(), the status page and /metrics. */
export interface OpenFault {
  error: PayPointError;
  /** Failed opens so far. */
  attempts: number;
  /** When the next try is due (Date.now() ms), null while one runs. */
  nextAt: number | null;
}

/** The 506 error of a failed open, naming the target once (drivers' own messages often name it too). */
export function openError(device: string, target: string, e: unknown): PayPointError {
  const cause = e as Error & { code?: unknown };
  const why = String(cause?.message ?? e).replace(`cannot open ${target}: `, '');
  return new PayPointError(
    ErrorCode.DeviceUnavailable,
    `cannot open ${target}: ${why}`,
    { device, target, cause: typeof cause?.code === 'number' ? cause.code : undefined },
    { cause: e },
  );
}

/** One line for health(): what could not be opened, why, and when it is tried again. */
export function describeOpenFault(f: OpenFault, now = Date.now()): string {
  const when = f.nextAt === null ? 'trying again now' : `next try in ${Math.max(0, Math.ceil((f.nextAt - now) / 1000))} s`;
  // No try yet: a port lost after it was open (relink.ts) before its first reopen.
  const tries = f.attempts > 0 ? `${f.attempts} ${f.attempts === 1 ? 'try' : 'tries'}; ` : '';
  return `${f.error.message} (${tries}${when})`;
}

export interface ReopenerOptions<T> {
  /** Device name for logs ('bill-validator'). */
  name: string;
  /** What is opened, as a technician finds it: '/dev/ttyUSB0', 'I2C bus 1 address 0x21'. */
  target: string;
  /** Opens (and starts) the device; rejects if it cannot. */
  open: () => Promise<T>;
  /** Called once with the opened device. */
  onOpen: (device: T) => void;
  backoff?: BackoffOptions;
  log: DriverLog;
  /** Wall clock for nextAt (tests). */
  now?: () => number;
}

/**
 * Tries `open` at start and then on a backoff until it succeeds once. start() never rejects: a device
 * that cannot be opened is a fault to show and retry, never a reason for the daemon not to start.
 */
export class Reopener<T> {
  private readonly backoff: Backoff;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private attempt: Promise<void> | null = null;
  private device: T | null = null;
  private lastFault: OpenFault | null = null;
  private readonly now: () => number;

  constructor(private readonly o: ReopenerOptions<T>) {
    this.backoff = new Backoff(o.backoff ?? DEFAULT_BACKOFF);
    this.now = o.now ?? Date.now;
  }

  get opened(): T | null {
    return this.device;
  }

  /** Null once open (or before the first try). */
  fault(): OpenFault | null {
    return this.device ? null : this.lastFault;
  }

  /** Tries once now; resolves after that try, whatever its result. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.tryOpen();
  }

  /** Stops retrying; waits for a try in progress (the caller stops the device it may have opened). */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.attempt;
    if (this.lastFault) this.lastFault = { ...this.lastFault, nextAt: null };
  }

  private tryOpen(): Promise<void> {
    this.attempt = (async () => {
      if (this.lastFault) this.lastFault = { ...this.lastFault, nextAt: null };
      let device: T;
      try {
        device = await this.o.open();
      } catch (e) {
        const cause = e as Error;
        const error = openError(this.o.name, this.o.target, e);
        const delay = this.backoff.next();
        const first = this.backoff.attempts === 1;
        this.lastFault = { error, attempts: this.backoff.attempts, nextAt: this.running ? this.now() + delay : null };
        // Logged at the first failure and when the reason changes; the retries in between at debug.
        const changed = first || this.lastLoggedMessage !== error.message;
        this.lastLoggedMessage = error.message;
        (changed ? this.o.log.error.bind(this.o.log) : this.o.log.debug.bind(this.o.log))(
          { device: this.o.name, target: this.o.target, code: error.code, err: { message: cause.message }, attempts: this.backoff.attempts, retryInMs: delay },
          'device cannot be opened: faulted, trying again',
        );
        if (this.running) {
          this.timer = setTimeout(() => {
            this.timer = null;
            void this.tryOpen();
          }, delay);
        }
        return;
      }
      if (!this.running) {
        // Stopped while opening: the device is handed over all the same, so that its owner stops it.
        this.device = device;
        this.o.onOpen(device);
        return;
      }
      const after = this.backoff.attempts;
      this.backoff.reset();
      this.device = device;
      this.lastFault = null;
      if (after > 0) this.o.log.info({ device: this.o.name, target: this.o.target, failedTries: after }, 'device opened: joined, fault cleared');
      this.o.onOpen(device);
    })();
    return this.attempt;
  }

  private lastLoggedMessage = '';
}
