/**
 * A serial port that fails after it was opened (README.md, "Devices that cannot be opened"): the
 * USB-serial adapter unplugged, the tty gone. The driver is told at once (it stops talking and shows the
 * device faulted with error 506 and the path), the port is closed, and opened again at the same path on
 * the same backoff as a device missing at start (devices.open_retry_s doubling up to open_retry_max_s;
 * a udev symlink pointing to a re-enumerated ttyUSB is followed, since the path is opened anew). Once it
 * opens, the driver starts over as at its start.
 *
 * The port coming back is also noticed from the file system (path-watch.ts) while it is lost: it is
 * tried at once, so a technician's replug works within seconds even when the backoff has grown to its
 * maximum.
 *
 * The backoff is reset only when the driver says the device answered on the reopened port (settled()),
 * not when the port merely opens: a node that opens and fails again at once (a tty going away) is tried
 * ever less often instead of in a tight loop.
 */
import { ErrorCode, PayPointError } from '../../errors.js';
import type { SerialLink } from '../../transports/serial/serial-port.js';
import type { DriverLog } from '../driver-log.js';
import { watchPath, type PathWatch } from './path-watch.js';
import { Backoff, DEFAULT_BACKOFF, openError, type BackoffOptions, type OpenFault } from './reopen.js';

export interface SerialRelinkOptions {
  /** Device name for logs ('bill-validator'). */
  name: string;
  link: SerialLink;
  backoff?: BackoffOptions;
  log: DriverLog;
  /** The port failed: stop talking (called once per loss). */
  onLost: (error: PayPointError) => void;
  /** The port is open again: start over as at start. */
  onBack: () => void;
  /** Wall clock for nextAt (tests). */
  now?: () => number;
}

export class SerialRelink {
  private readonly backoff: Backoff;
  private readonly now: () => number;
  private lostFault: OpenFault | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private trying: Promise<void> | null = null;
  private watcher: PathWatch | null = null;
  /** The path changed during a try: try once more at once if that one fails. */
  private poked = false;

  constructor(private readonly o: SerialRelinkOptions) {
    this.backoff = new Backoff(o.backoff ?? DEFAULT_BACKOFF);
    this.now = o.now ?? Date.now;
  }

  /** Opens the port at start (rejects as SerialLink.open does: the caller's start-up retry handles that) and watches it. */
  async open(): Promise<void> {
    this.running = true;
    this.watch();
    await this.o.link.open();
  }

  /** Null while the port is open; else the 506 fault: why it was lost or cannot be opened, and the next try. */
  fault(): OpenFault | null {
    return this.lostFault;
  }

  /** The device answered on the port: a later loss starts again from the first delay. */
  settled(): void {
    if (!this.lostFault) this.backoff.reset();
  }

  /** Stops reopening; waits for a try in progress (the caller closes the port). */
  async stop(): Promise<void> {
    this.running = false;
    this.unwatchPath();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.trying;
  }

  private watch(): void {
    // SerialLink.onError is called once per opening: registered again before every open.
    this.o.link.onError((e) => this.lost(e));
  }

  private lost(cause: PayPointError): void {
    if (!this.running || this.lostFault) return;
    const path = this.o.link.path;
    const error = new PayPointError(ErrorCode.DeviceUnavailable, `${path} lost: ${cause.message.replace(`${path}: `, '')}`, { device: this.o.name, target: path }, { cause });
    const delay = this.backoff.next();
    this.lostFault = { error, attempts: 0, nextAt: this.now() + delay };
    this.o.log.error({ device: this.o.name, target: path, code: error.code, err: { message: cause.message }, retryInMs: delay }, 'serial port lost: faulted, reopening');
    this.o.onLost(error);
    this.watchPath();
    // Closed at once: the descriptor and its lock are released for the reopen.
    void this.o.link.close().catch(() => undefined);
    this.schedule(delay);
  }

  private watchPath(): void {
    this.watcher = watchPath(this.o.link.path, () => {
      if (!this.running || !this.lostFault) return;
      if (!this.timer) {
        this.poked = true; // a try is running
        return;
      }
      clearTimeout(this.timer);
      this.timer = null;
      this.trying = this.tryOpen();
    });
  }

  private unwatchPath(): void {
    this.watcher?.close();
    this.watcher = null;
  }

  private schedule(delay: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.trying = this.tryOpen();
    }, delay);
  }

  private async tryOpen(): Promise<void> {
    const before = this.lostFault!;
    this.lostFault = { ...before, nextAt: null };
    this.poked = false;
    try {
      await this.o.link.close();
      this.watch();
      await this.o.link.open();
    } catch (e) {
      const error = openError(this.o.name, this.o.link.path, e);
      // The path changed during this try: once more at once (the backoff still counts the failure).
      const delay = this.poked ? (this.backoff.next(), 0) : this.backoff.next();
      this.poked = false;
      this.lostFault = { error, attempts: before.attempts + 1, nextAt: this.running ? this.now() + delay : null };
      // Logged when the reason changes; the retries in between at debug.
      const log = error.message !== before.error.message ? this.o.log.error.bind(this.o.log) : this.o.log.debug.bind(this.o.log);
      log({ device: this.o.name, target: this.o.link.path, code: error.code, err: { message: (e as Error).message }, attempts: this.lostFault.attempts, retryInMs: delay }, 'serial port cannot be opened: faulted, trying again');
      this.schedule(delay);
      return;
    }
    if (!this.running) return; // stopped meanwhile: the driver's stop() closes the port
    this.lostFault = null;
    this.unwatchPath();
    this.o.log.info({ device: this.o.name, target: this.o.link.path, failedTries: before.attempts }, 'serial port reopened: fault cleared');
    this.o.onBack();
  }
}
