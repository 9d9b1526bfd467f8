/**
 * sd_notify(3) for the daemon (docs/appliance.md): READY=1, WATCHDOG=1, STATUS=..., STOPPING=1.
 *
 * Node has no Unix datagram sockets, and NOTIFY_SOCKET is one. Choice: the `unix-dgram` native addon,
 * not a spawned `systemd-notify`, because
 *   - the datagram then comes from the main PID, so the unit can keep `NotifyAccess=main` (the
 *     tightest setting); `systemd-notify` needs NotifyAccess=all, letting any process of the unit
 *     (a helper we spawn) speak for the daemon;
 *   - systemd attributes a message to a unit by the sender's PID; a short-lived `systemd-notify` may have
 *     exited before PID 1 reads the datagram, and the message is then dropped (systemd-notify(1),
 *     "--pid"; fixed only by newer systemd's --exec/--fork): a lost READY=1 fails the start, a lost
 *     WATCHDOG=1 kills a healthy daemon;
 *   - no fork every few seconds on a Pi under memory pressure, which is exactly when a watchdog ping must
 *     not fail.
 * The addon copies the path with strncpy, so an abstract-namespace NOTIFY_SOCKET (leading "@", used by
 * some containers) is not reachable through it; for that case only we fall back to `systemd-notify`.
 * Without NOTIFY_SOCKET (run by hand, in tests) every call does nothing.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import type { Logger } from '../log.js';

interface DgramSocket {
  send(buf: Buffer, offset: number, length: number, path: string, cb?: (err?: Error) => void): void;
  on(event: 'error', cb: (err: Error) => void): void;
  close(): void;
}

export class SystemdNotifier {
  readonly socketPath: string | null;
  /** Watchdog interval asked by systemd (WATCHDOG_USEC), ms; null when no watchdog is set for us. */
  readonly watchdogMs: number | null;
  private sock: DgramSocket | null = null;

  constructor(
    private readonly log: Logger,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    const p = env.NOTIFY_SOCKET;
    this.socketPath = p && p.length > 0 ? p : null;
    const usec = Number(env.WATCHDOG_USEC);
    const pidOk = env.WATCHDOG_PID === undefined || Number(env.WATCHDOG_PID) === process.pid;
    this.watchdogMs = this.socketPath && pidOk && Number.isFinite(usec) && usec > 0 ? Math.floor(usec / 1000) : null;
    if (env === process.env) {
      // As sd_notify(unset_environment=1): children must not inherit the socket. systemd's own tools
      // (timedatectl, run by the clock check) would otherwise send ERRNO=... on it as if they were us.
      delete process.env.NOTIFY_SOCKET;
      delete process.env.WATCHDOG_USEC;
      delete process.env.WATCHDOG_PID;
    }
  }

  get enabled(): boolean {
    return this.socketPath !== null;
  }

  private socket(): DgramSocket {
    if (!this.sock) {
      const require = createRequire(import.meta.url);
      const dgram = require('unix-dgram') as { createSocket(type: 'unix_dgram'): DgramSocket };
      this.sock = dgram.createSocket('unix_dgram');
      this.sock.on('error', (e) => this.log.warn({ err: { message: e.message } }, 'sd_notify socket error'));
    }
    return this.sock;
  }

  /** Sends `lines` (KEY=VALUE each); resolves when sent (or not: a failed notify is logged, never thrown). */
  notify(...lines: string[]): Promise<void> {
    const path = this.socketPath;
    if (!path) return Promise.resolve();
    const text = lines.join('\n') + '\n';
    if (path.startsWith('@')) {
      return new Promise((resolve) => {
        execFile('systemd-notify', lines, { timeout: 5000 }, (err) => {
          if (err) this.log.warn({ err: { message: err.message } }, 'systemd-notify failed');
          resolve();
        });
      });
    }
    return new Promise((resolve) => {
      const buf = Buffer.from(text, 'utf8');
      try {
        this.socket().send(buf, 0, buf.length, path, (err) => {
          if (err) this.log.warn({ err: { message: err.message } }, 'sd_notify send failed');
          resolve();
        });
      } catch (e) {
        this.log.warn({ err: { message: (e as Error).message } }, 'sd_notify send failed');
        resolve();
      }
    });
  }

  close(): void {
    this.sock?.close();
    this.sock = null;
  }
}
