/**
 * The appliance around the payment daemon (docs/appliance.md): sd_notify readiness and watchdog, the status LED,
 * the clock check, the status page. `attachAppliance` is called by src/main.ts once the store is loaded
 * and the SOAP port listens, so READY=1 means exactly that (docs/appliance.md).
 */
import type { Config } from '../../config/schema.js';
import type { PaymentDevices } from '../../drivers/interfaces.js';
import type { Logger } from '../log.js';
import { LedController } from '../led/led-controller.js';
import type { LedInputs } from '../led/led-codes.js';
import { SysfsLed } from '../led/sysfs-led.js';
import type { PaymentEngine } from '../payment/payment-engine.js';
import type { OpenCaseMonitor } from '../payment/open-case-monitor.js';
import { StatusMetrics } from '../status/metrics.js';
import { outboxSummary, type OutboxSummary } from '../status/outbox-summary.js';
import { buildSnapshot, type StatusSnapshot } from '../status/snapshot.js';
import { StatusServer, statusListenOptions } from '../status/status-server.js';
import type { SessionStore } from '../store/session-store.js';
import type { CashService } from '../cash/cash-service.js';
import { cashActions } from '../status/cash-actions.js';
import { IMPORT_RESULT_SHOWN_MS, readImportMarker, type ImportMarker } from '../usb-import/result-marker.js';
import { probeClock, type ClockProbeOptions, type ClockState } from '../clock/clock.js';
import { closeUnsyncedFlags, flagUnsynced, readUnsyncedIds } from '../clock/clock-flags.js';
import { HealthMonitor, type HealthState } from '../health/health.js';
import { SystemdNotifier } from './notify.js';
import { bootedSlot, Rauc } from '../update/rauc.js';
import { readUpdateMarker, updateWords, type UpdateMarker } from '../update/update-marker.js';
import type { UpdateInfo } from '../status/snapshot.js';

/** How long a fallback to the old slot is shown as needing attention (LED and page). */
const FELL_BACK_SHOWN_MS = 24 * 3_600_000;

/** What the appliance needs of the daemon (src/main.ts's Daemon has all of it). */
export interface ApplianceHost {
  config: Config;
  store: SessionStore;
  engine: PaymentEngine;
  devices: PaymentDevices;
  log: Logger;
  cash: CashService;
  /** Owed change and unknown card outcomes (src/main.ts refreshes it). */
  cases?: OpenCaseMonitor;
}

export interface ApplianceOptions {
  version: string;
  env?: NodeJS.ProcessEnv;
  clock?: ClockProbeOptions;
  /** How often LED, clock marker and outbox are refreshed, ms. */
  tickMs?: number;
  clockEveryMs?: number;
  /** How often the store probe file is written, ms (default 30 s). */
  healthProbeEveryMs?: number;
  /** Event-loop tick of the health monitor, ms (default 1 s). */
  healthTickMs?: number;
}

export interface Appliance {
  health(): HealthState;
  snapshot(): Promise<StatusSnapshot>;
  statusPort(): number | null;
  notifier: SystemdNotifier;
  led: LedController | null;
  stop(): Promise<void>;
}

const RECENT = 15;

export async function attachAppliance(host: ApplianceHost, opts: ApplianceOptions): Promise<Appliance> {
  const { config, store, engine, devices, log, cash } = host;
  const dataDir = config.storage.data_dir;
  const startedAt = Date.now();
  const notifier = new SystemdNotifier(log, opts.env ?? process.env);
  const monitor = new HealthMonitor({ store, engine, devices, dataDir, maxLagMs: config.unit.max_event_loop_lag_ms, probeEveryMs: opts.healthProbeEveryMs, tickMs: opts.healthTickMs });
  const led = config.led.enabled ? new LedController(new SysfsLed(config.led.sysfs_root, config.led.name), log) : null;
  const metrics = new StatusMetrics();
  const listeners = new Set<() => void>();
  const changed = () => listeners.forEach((l) => l());
  const timers: NodeJS.Timeout[] = [];
  let booting = true;
  let clock: ClockState = { synchronized: null, source: 'unknown', checkedAt: Date.now() };
  let outbox: OutboxSummary = { depth: 0, oldestQueuedAt: null, lastError: null, refused: [] };
  let unsynced = readUnsyncedIds(dataDir).size;
  let lastImport: ImportMarker | null = readImportMarker(dataDir);
  let restOwed = false;
  let lastUpdate: UpdateMarker | null = readUpdateMarker(dataDir);
  // The booted slot does not change while the daemon runs: asked once, in the background (rauc answers
  // over D-Bus; readiness does not wait for it).
  let slot: Pick<UpdateInfo, 'ab' | 'slot' | 'bundleVersion' | 'slotLine'> = { ab: false, slot: null, bundleVersion: null, slotLine: 'no A/B' };
  void new Rauc('rauc', 20_000)
    .status()
    .then((st) => {
      const b = st ? bootedSlot(st) : null;
      if (st) slot = { ab: true, slot: b?.bootname ?? null, bundleVersion: b?.bundleVersion ?? null, slotLine: `${b?.bootname ?? '?'}${b?.bundleVersion ? ` (bundle ${b.bundleVersion})` : ''}` };
      changed();
    })
    .catch((e) => {
      slot = { ab: true, slot: null, bundleVersion: null, slotLine: `unknown (${(e as Error).message.slice(0, 120)})` };
    });

  led?.update({ booting: true, importResult: null, paymentInProgress: false, attention: [], reportsWaiting: false });

  const refreshClock = async () => {
    const before = clock.synchronized;
    clock = await probeClock(opts.clock);
    if (before !== clock.synchronized) {
      log[clock.synchronized ? 'info' : 'warn']({ clock }, 'clock synchronisation');
      changed();
    }
  };
  const refreshStore = async () => {
    outbox = await outboxSummary(store);
    // Settled cases no longer need a person: only open ones ask for attention. The daemon always has the
    // case monitor; without it (tests) the recent sessions are read, a query over the whole store that
    // runs after every finished session and so is not made when it is not needed.
    const cases = host.cases;
    restOwed = cases
      ? cases.cases().open.some((c) => c.kind !== 'card')
      : (await store.recent(200)).some((s) => (s.payout?.rest ?? 0) > 0) || (await store.unattributed()).some((u) => u.rest > 0);
    lastImport = readImportMarker(dataDir);
    lastUpdate = readUpdateMarker(dataDir);
  };

  const attention = (h: HealthState): string[] => {
    const out: string[] = [];
    if (restOwed) out.push('rest amount owed to a customer');
    for (const d of h.devices) if (d.state === 'fault' || d.state === 'offline') out.push(`device ${d.name}: ${d.state}${d.code ? ` (error ${d.code})` : ''}`);
    if (clock.synchronized !== true) out.push(clock.synchronized === false ? 'clock not synchronised' : 'clock synchronisation unknown');
    if (lastUpdate?.result === 'fell-back' && Math.abs(Date.now() - lastUpdate.at) < FELL_BACK_SHOWN_MS) out.push(`update: ${updateWords(lastUpdate)}`);
    if (!h.ok) out.push(...h.reasons.filter((r) => !r.includes(': fault') && !r.includes(': offline')));
    return out;
  };

  const ledInputs = (h: HealthState): LedInputs => {
    const fresh = lastImport && Math.abs(Date.now() - lastImport.at) < IMPORT_RESULT_SHOWN_MS ? lastImport.result : null;
    return { booting, importResult: fresh, paymentInProgress: engine.currentSession() !== null, attention: attention(h), reportsWaiting: outbox.depth > 0, cashService: engine.cashLimits().reasons };
  };
  const updateLed = () => led?.update(ledInputs(monitor.state()));

  const snapshot = async (): Promise<StatusSnapshot> => {
    const h = monitor.state();
    const [recent, unattributed, cashView] = await Promise.all([store.recent(RECENT), store.unattributed(), cash.view()]);
    return buildSnapshot({
      version: opts.version,
      startedAt,
      now: Date.now(),
      config,
      booting,
      led: led?.code() ?? null,
      attention: [...attention(h), ...cashView.limits.reasons],
      health: h,
      current: engine.currentSession(),
      hoppers: devices.dispenser?.levels() ?? {},
      cash: cashView,
      cashActions: config.status.require_auth,
      outbox,
      recent,
      unattributed,
      clock,
      unsyncedFinishes: unsynced,
      lastImport,
      notify: { enabled: notifier.enabled, watchdogMs: notifier.watchdogMs },
      cases: host.cases ? { ...host.cases.cases(), lateReversed: host.cases.lateReversed() } : undefined,
      totals: host.cases?.totals() ?? null,
      update: { ...slot, words: updateWords(lastUpdate), last: lastUpdate },
    });
  };

  const onChanged = () => {
    updateLed();
    changed();
  };
  // A finish on a clock not known to be synchronised is flagged BEFORE the finish is stored (the engine
  // awaits this hook): flagged afterwards, a power cut between the two, or an export read right after
  // the finish, found the finished session unflagged. Cut between flag and finish: the session is
  // flagged and finishes after the restart, flagged again if the clock is still unknown; a flag too
  // many errs on the side the flag is for.
  engine.setBeforeFinish(async (s) => {
    if (clock.synchronized === true) return;
    unsynced++;
    await flagUnsynced(dataDir, { _id: s._id, uid: s.uid, finishedAt: s.finishedAt });
  });
  const onFinished = (s: { _id: string; uid: string; state: string; finishedAt: number | null }) => {
    metrics.sessionFinished(s.state);
    void refreshStore().then(onChanged, () => undefined);
  };
  engine.on('changed', onChanged);
  engine.on('finished', onFinished);
  cash.on('changed', onChanged);

  await monitor.start();
  await Promise.all([refreshClock(), refreshStore()]);

  let status: StatusServer | null = null;
  if (config.status.enabled) {
    status = new StatusServer({
      ...statusListenOptions(config.status),
      metrics,
      log,
      cash: cashActions(cash, config.unit.admin_secret_sha256),
      source: {
        snapshot,
        subscribe: (cb) => {
          listeners.add(cb);
          return () => listeners.delete(cb);
        },
      },
    });
    try {
      await status.start();
    } catch (e) {
      // The page is for the technician; payments go on without it. The import's health check sees it.
      log.error({ err: { message: (e as Error).message } }, 'status page not available');
      status = null;
    }
  }

  booting = false;
  updateLed();
  const h0 = monitor.state();
  await notifier.notify('READY=1', `STATUS=${h0.ok ? (h0.degraded ? 'degraded: ' + h0.reasons.join('; ') : 'ready') : 'unhealthy'}`, `MAINPID=${process.pid}`);
  log.info({ notify: notifier.enabled, watchdogMs: notifier.watchdogMs, statusPort: status?.port() ?? null, led: led?.available ?? false }, 'appliance ready');

  const tickMs = opts.tickMs ?? 2000;
  timers.push(
    setInterval(() => {
      void refreshStore()
        .then(() => {
          updateLed();
        })
        .catch((e) => log.warn({ err: { message: (e as Error).message } }, 'status refresh failed'));
    }, tickMs),
  );
  timers.push(setInterval(() => void refreshClock(), opts.clockEveryMs ?? 60_000));

  if (notifier.watchdogMs !== null) {
    // Ping at a third of WatchdogSec: two missed pings in a row are survived.
    let lastState = '';
    const ping = () => {
      const h = monitor.state();
      const st = h.ok ? (h.degraded ? 'degraded' : 'ok') : 'unhealthy';
      if (h.ok) void notifier.notify('WATCHDOG=1', ...(st !== lastState ? [`STATUS=${st}${h.reasons.length ? ': ' + h.reasons.join('; ') : ''}`] : []));
      else if (st !== lastState) {
        log.error({ reasons: h.reasons }, 'unhealthy: watchdog not fed, systemd will restart the daemon');
        void notifier.notify(`STATUS=unhealthy: ${h.reasons.join('; ')}`);
      }
      lastState = st;
    };
    timers.push(setInterval(ping, Math.max(500, Math.floor(notifier.watchdogMs / 3))));
  }
  for (const t of timers) t.unref();

  let stopped = false;
  return {
    health: () => monitor.state(),
    snapshot,
    statusPort: () => status?.port() ?? null,
    notifier,
    led,
    async stop() {
      if (stopped) return;
      stopped = true;
      await notifier.notify('STOPPING=1');
      for (const t of timers) clearInterval(t);
      engine.off('changed', onChanged);
      engine.off('finished', onFinished);
      engine.setBeforeFinish(null);
      cash.off('changed', onChanged);
      monitor.stop();
      await status?.stop();
      led?.stop();
      notifier.close();
      await closeUnsyncedFlags(dataDir);
    },
  };
}

