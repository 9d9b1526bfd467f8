/**
 * The configuration-error mode (docs/appliance.md, "Configuration error"): the configuration file or the
 * board profile it names cannot be loaded. Exiting would not mend the file: under Restart=always and
 * StartLimitAction=reboot (systemd/paypoint.service) it rebooted the unit again and again, with nothing
 * on the page or the LED. Instead the daemon comes up READY in this mode:
 *   - no payment is taken: Pay answers -2, "the kiosk cannot take a payment now" (contract 1), after the
 *     -1 and -3 checks in the contract's order, and changes nothing; PayPoll answers from the store
 *     (contract 1: a known uid its state, an unknown one -4), so 1C learns how earlier sessions ended;
 *   - the store is opened as always (a store or data-directory error is another failure and still stops
 *     the start: it is not masked here), and nothing in it is changed: an open session stays open and
 *     resumes, by contract 2.5, once a good configuration is in force;
 *   - the status page, /api/status, /metrics, the journal and STATUS= carry the error with file, line
 *     and field; the LED shows the configuration-error code;
 *   - the watchdog is fed (the process is sound), so systemd leaves it running, and the USB import
 *     (paypoint-usb-import@.service) can install a good file and restart the daemon into normal mode.
 *
 * No fallback to the previous file (`paypoint.toml.previous`, kept by the import): it is the file before
 * the last import, not a file known to be good, and the operator replaced it on purpose (a new terminal
 * id, another processing server, other prices and limits). Taking money under settings nobody intends
 * now is worse than taking none; the page says what is wrong instead.
 *
 * Which settings are used: for a bad board profile the configuration file itself loaded, so it is the
 * operator's (`trusted`): its ports, logins, data directory, LED; reports go on to the processing server
 * it names (they are about money already taken, and those settings were validated). For a bad
 * configuration file only the built-in defaults and the command line are known: SOAP and the page listen
 * on the default ports without the file's logins, so the page shows the error and counts but no sessions
 * or cash, and no report is sent (the processing server, path and login could not be read: sending to a
 * default address is sending to nobody the operator named). The reports wait, durably, in the outbox.
 */
import type { Config } from '../../config/schema.js';
import { formatProblem, type ConfigProblem } from '../../config/load.js';
import type { PayPointError } from '../../errors.js';
import { PayResult, PollResult } from '../../base/types.js';
import { checkPayRequest, validUid, type PayRequest } from '../../payment/pay-request.js';
import { pollResult } from '../../payment/session.js';
import { cashLimits } from '../../payment/cash-limits.js';
import { countsTotal, type CashInventory } from '../../payment/cash-inventory.js';
import type { Logger } from '../log.js';
import { LedController } from '../led/led-controller.js';
import { SysfsLed } from '../led/sysfs-led.js';
import { DeliveryWorker } from '../reports/delivery-worker.js';
import { apiListenOptions, PosSoapServer } from '../soap/pos-soap-server.js';
import { StatusMetrics } from '../status/metrics.js';
import { outboxSummary, type OutboxSummary } from '../status/outbox-summary.js';
import { buildSnapshot, type ConfigErrorView, type StatusSnapshot } from '../status/snapshot.js';
import { StatusServer, statusListenOptions } from '../status/status-server.js';
import { lockDataDir } from '../store/data-dir-lock.js';
import { SessionStore } from '../store/session-store.js';
import { readImportMarker } from '../usb-import/result-marker.js';
import { SystemdNotifier } from './notify.js';

/** The largest `pos.max_amount` the schema allows: over it a Pay is invalid (-1) whatever the file says. */
const LARGEST_MAX_AMOUNT = 100_000_000;
const HOUR = 3_600_000;

export interface ConfigErrorModeOptions {
  /** The operator's configuration (board-profile error) or the defaults with the command line's flags. */
  config: Config;
  /** Whether `config` is the operator's own file. */
  trusted: boolean;
  /** The loader's error (area 1); its context.problems name file, line and field. */
  error: PayPointError;
  source: ConfigErrorView['source'];
  version: string;
  log: Logger;
  env?: NodeJS.ProcessEnv;
  /** How often the outbox is re-read, ms. */
  tickMs?: number;
}

export interface ConfigErrorDaemon {
  mode: 'config-error';
  config: Config;
  store: SessionStore;
  log: Logger;
  port(): number;
  statusPort(): number | null;
  snapshot(): Promise<StatusSnapshot>;
  stop(): Promise<void>;
}

/** The problems of a loader's error: ConfigError and the board profile's errors carry them in context. */
export function problemsOf(e: PayPointError): ConfigProblem[] {
  const ps = e.context.problems;
  if (Array.isArray(ps) && ps.length > 0) return ps as ConfigProblem[];
  return [{ file: typeof e.context.file === 'string' ? e.context.file : '(unknown)', line: 0, field: '(unknown)', reason: e.message.split('\n')[0] ?? '' }];
}

export async function startConfigErrorMode(o: ConfigErrorModeOptions): Promise<ConfigErrorDaemon> {
  const { config, log, trusted } = o;
  const problems = problemsOf(o.error);
  const view: ConfigErrorView = { code: o.error.code, problems, source: o.source, configTrusted: trusted, reportsSent: trusted && config.processing.url !== '' };
  log.error(
    { err: { code: o.error.code, problems }, source: o.source, configTrusted: trusted, reportsSent: view.reportsSent },
    'configuration cannot be loaded: no payment is taken until a good configuration is imported',
  );
  const dataDir = config.storage.data_dir;
  const cleanups: Array<() => Promise<void> | void> = [];
  try {
    // The store and its lock as in normal mode: failures here are store errors and end the start.
    cleanups.push(lockDataDir(dataDir));
    const store = await SessionStore.open(dataDir);
    const uidMemoryMs = config.storage.uid_memory_h * HOUR;
    const maxAmount = trusted ? config.pos.max_amount : LARGEST_MAX_AMOUNT;
    const startedAt = Date.now();

    if (view.reportsSent) {
      // As src/main.ts does: the Register client (node-soap over node-libcurl) only when it is used.
      const { RegisterClient } = await import('../reports/register-client.js');
      const reports = new DeliveryWorker({
        store,
        sender: await RegisterClient.create(config.processing, `PayPoint/${o.version}`),
        log,
        retryScale: config.processing.retry_scale,
        probeIntervalMs: config.processing.probe_interval_s * 1000,
      });
      await reports.start();
      cleanups.push(() => reports.stop());
    }

    const soap = new PosSoapServer({
      ...apiListenOptions(config.api),
      log,
      service: {
        // Contract 1's order: invalid values (-1), a uid seen in the uid memory (-3), then -2.
        async pay(req: PayRequest) {
          if (checkPayRequest(req, { maxAmount }) !== null) return PayResult.Invalid;
          if ((await store.byUid(req.uid, Date.now() - uidMemoryMs)).length > 0) return PayResult.Duplicate;
          log.info({ uid: req.uid, code: o.error.code }, 'Pay refused: -2 (configuration error)');
          return PayResult.Busy;
        },
        async poll(uid: string) {
          if (!validUid(uid)) return PollResult.Invalid;
          const [hit] = await store.byUid(uid, Date.now() - uidMemoryMs);
          return hit ? pollResult(hit) : PollResult.NotFound;
        },
      },
    });
    await soap.start();
    cleanups.push(() => soap.stop());

    const led = config.led.enabled ? new LedController(new SysfsLed(config.led.sysfs_root, config.led.name), log) : null;
    led?.update({ booting: false, configError: true, importResult: null, paymentInProgress: false, attention: [], reportsWaiting: false });
    cleanups.push(() => led?.stop());

    let outbox: OutboxSummary = await outboxSummary(store);
    const notifier = new SystemdNotifier(log, o.env ?? process.env);
    const attention = [
      ...problems.map((p) => `configuration error ${o.error.code}: ${formatProblem(p)}`),
      'no payment is taken until a good configuration is imported (USB stick)',
      ...(trusted ? [] : ['sessions and cash are not shown: the page login is in the configuration that cannot be loaded']),
    ];
    const snapshot = async (): Promise<StatusSnapshot> => {
      const inventory = store.inventory();
      const [recent, unattributed, records] = trusted ? await Promise.all([store.recent(15), store.unattributed(), store.cashRecords()]) : [[], [], []];
      const shown: CashInventory = trusted ? inventory : { cassette: {}, box: {}, hoppers: {} };
      const snap = buildSnapshot({
        version: o.version,
        startedAt,
        now: Date.now(),
        config,
        booting: false,
        led: led?.code() ?? null,
        attention,
        health: { ok: true, degraded: true, eventLoopLagMs: 0, store: { writable: true, error: null, lastProbeAt: null }, devices: [], reasons: attention },
        current: null,
        hoppers: {},
        cash: {
          inventory: shown,
          totals: { cassette: countsTotal(shown.cassette), box: countsTotal(shown.box), hoppers: countsTotal(shown.hoppers) },
          limits: cashLimits({ inventory, hopperLevels: {}, usualBill: null, cassetteCapacity: null }),
          records: records.slice(-10).reverse().map((r) => ({ op: r.op, at: r.at, by: r.by, note: r.note, collection: r.collection, added: r.added })),
        },
        cashActions: false,
        outbox,
        recent,
        unattributed,
        clock: { synchronized: null, source: 'unknown', checkedAt: Date.now() },
        unsyncedFinishes: 0,
        lastImport: readImportMarker(dataDir),
        notify: { enabled: notifier.enabled, watchdogMs: notifier.watchdogMs },
      });
      const unknown = { terminalId: '(configuration error)', title: '', name: '' };
      return { ...snap, state: 'config-error', configError: view, ...(trusted ? {} : { config: {}, unit: { ...snap.unit, ...unknown } }) };
    };

    const listeners = new Set<() => void>();
    let status: StatusServer | null = null;
    if (config.status.enabled) {
      status = new StatusServer({
        ...statusListenOptions(config.status),
        metrics: new StatusMetrics(),
        log,
        cash: null,
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
        const s = status;
        cleanups.push(() => s.stop());
      } catch (e) {
        // As in normal mode: the page is an aid; SOAP, the LED and the journal still tell.
        log.error({ err: { message: (e as Error).message } }, 'status page not available');
        status = null;
      }
    }

    const timers: NodeJS.Timeout[] = [];
    timers.push(
      setInterval(() => {
        void outboxSummary(store)
          .then((s) => {
            outbox = s;
            listeners.forEach((l) => l());
          })
          .catch((e) => log.warn({ err: { message: (e as Error).message } }, 'status refresh failed'));
      }, o.tickMs ?? 2000),
    );
    const first = problems[0]!;
    await notifier.notify('READY=1', `STATUS=configuration error ${o.error.code}: ${formatProblem(first)}`, `MAINPID=${process.pid}`);
    if (notifier.watchdogMs !== null) {
      // Fed while the event loop runs: restarting cannot mend a file, and the import needs the unit up.
      timers.push(setInterval(() => void notifier.notify('WATCHDOG=1'), Math.max(500, Math.floor(notifier.watchdogMs / 3))));
    }
    for (const t of timers) t.unref();
    cleanups.push(() => timers.forEach((t) => clearInterval(t)));
    cleanups.push(() => notifier.close());
    log.info({ mode: 'config-error', port: soap.port(), statusPort: status?.port() ?? null, dataDir, notify: notifier.enabled, version: o.version }, 'ready');

    let stopped = false;
    return {
      mode: 'config-error',
      config,
      store,
      log,
      port: () => soap.port(),
      statusPort: () => status?.port() ?? null,
      snapshot,
      async stop() {
        if (stopped) return;
        stopped = true;
        await notifier.notify('STOPPING=1');
        for (const c of cleanups.reverse()) await c();
        log.info({}, 'stopped');
      },
    };
  } catch (e) {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
    throw e;
  }
}
