/**
 * What "healthy" means for the watchdog (docs/appliance.md), and what only degrades the unit.
 *
 *   healthy (WATCHDOG=1 is sent): the event loop is responsive (a tick is not later than
 *     unit.max_event_loop_lag_ms) and the store is writable (the engine saw no failed write, the
 *     datastore is not failed, and a probe file in the data directory can be written and fsync'd).
 *     A daemon that is not healthy cannot take money safely: systemd restarting it is the cure.
 *   degraded (WATCHDOG=1 still sent; LED attention; shown on the page): a device is in fault or offline,
 *     or its driver's health() itself throws (a dead driver). Restarting the daemon does not repair a
 *     jammed hopper or an unplugged bill validator, and restarting in a loop would stop the card and the
 *     other cash device too: a dead driver degrades, it does not restart the world.
 */
import { join } from 'node:path';
import type { DeviceHealth, PaymentDevices } from '../../drivers/interfaces.js';
import { writeFileAtomic } from '../../base/fsync.js';
import type { PaymentEngine } from '../payment/payment-engine.js';
import type { SessionStore } from '../store/session-store.js';

export interface HealthState {
  /** Event loop and store fine: the watchdog is fed. */
  ok: boolean;
  /** Some device is not working: the unit runs on what is left. */
  degraded: boolean;
  eventLoopLagMs: number;
  store: { writable: boolean; error: string | null; lastProbeAt: number | null };
  devices: DeviceHealth[];
  /** Why not ok or degraded, one line each (for the log, page and STATUS=). */
  reasons: string[];
}

export interface HealthMonitorOptions {
  store: SessionStore;
  engine: PaymentEngine;
  devices: PaymentDevices;
  dataDir: string;
  maxLagMs: number;
  /** Event-loop tick, ms. */
  tickMs?: number;
  /** How often the store probe file is written, ms. */
  probeEveryMs?: number;
  now?: () => number;
}

export const PROBE_FILE = '.health-probe';

export function deviceHealths(devices: PaymentDevices): DeviceHealth[] {
  const list = [...devices.acceptors, devices.dispenser, devices.card, devices.cancelButton];
  const out: DeviceHealth[] = [];
  for (const d of list) {
    if (!d) continue;
    try {
      out.push(d.health());
    } catch (e) {
      out.push({ name: d.name, kind: 'button', state: 'fault', detail: `driver not answering: ${(e as Error).message}` });
    }
  }
  return out;
}

export class HealthMonitor {
  private timer: NodeJS.Timeout | null = null;
  private lastTick = 0;
  private lag = 0;
  private probeOk = true;
  private probeError: string | null = null;
  private lastProbeAt: number | null = null;
  private probing = false;
  private readonly tickMs: number;
  private readonly probeEveryMs: number;
  private readonly now: () => number;

  constructor(private readonly opts: HealthMonitorOptions) {
    this.tickMs = opts.tickMs ?? 1000;
    this.probeEveryMs = opts.probeEveryMs ?? 30_000;
    this.now = opts.now ?? (() => performance.now());
  }

  async start(): Promise<void> {
    await this.probe();
    this.lastTick = this.now();
    this.timer = setInterval(() => {
      const t = this.now();
      // How much later than asked this tick ran: the time the loop was blocked.
      this.lag = Math.max(0, t - this.lastTick - this.tickMs);
      this.lastTick = t;
      if (this.lastProbeAt === null || Date.now() - this.lastProbeAt >= this.probeEveryMs) void this.probe();
    }, this.tickMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Writes and fsyncs a small file in the data directory: catches a read-only remount or a full disk. */
  async probe(): Promise<boolean> {
    if (this.probing) return this.probeOk;
    this.probing = true;
    try {
      await writeFileAtomic(join(this.opts.dataDir, PROBE_FILE), `${Date.now()}\n`);
      this.probeOk = true;
      this.probeError = null;
    } catch (e) {
      this.probeOk = false;
      this.probeError = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    } finally {
      this.lastProbeAt = Date.now();
      this.probing = false;
    }
    return this.probeOk;
  }

  /** The current lag of the loop: the last tick's, or how late the next one already is. */
  private currentLag(): number {
    if (!this.timer) return 0;
    return Math.max(this.lag, this.now() - this.lastTick - this.tickMs);
  }

  state(): HealthState {
    const reasons: string[] = [];
    const lag = Math.round(this.currentLag());
    const loopOk = lag <= this.opts.maxLagMs;
    if (!loopOk) reasons.push(`event loop late by ${lag} ms`);
    const engineErr = this.opts.engine.storeError();
    const dsErr = this.opts.store.failure;
    const storeError = engineErr?.message ?? dsErr?.message ?? (this.probeOk ? null : `cannot write ${PROBE_FILE}: ${this.probeError}`);
    if (storeError) reasons.push(`store not writable: ${storeError}`);
    const devices = deviceHealths(this.opts.devices);
    const bad = devices.filter((d) => d.state === 'fault' || d.state === 'offline');
    for (const d of bad) reasons.push(`${d.name}: ${d.state}${d.detail ? ` (${d.detail})` : ''}`);
    return {
      ok: loopOk && storeError === null,
      degraded: bad.length > 0,
      eventLoopLagMs: lag,
      store: { writable: storeError === null, error: storeError, lastProbeAt: this.lastProbeAt },
      devices,
      reasons,
    };
  }
}
