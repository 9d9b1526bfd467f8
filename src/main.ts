/**
 * Wires the daemon: store -> devices -> payment engine -> SOAP service (+ simulation control). The only
 * module that knows every layer; `paypoint serve` (src/cli) calls startDaemon.
 */
import type { Config } from './config/schema.js';
import type { PaymentDevices } from './drivers/interfaces.js';
import { assembleDevices, cassetteCapacity, checkBoardProfile } from './device-assembly.js';
import { CashService } from './services/cash/cash-service.js';
import { attachAppliance, type Appliance } from './services/appliance/appliance.js';
import { createLogger, type Logger } from './services/log.js';
import { PaymentEngine } from './services/payment/payment-engine.js';
import { OpenCaseMonitor } from './services/payment/open-case-monitor.js';
import { DeliveryWorker } from './services/reports/delivery-worker.js';
import { SimControlServer, type SimDevices } from './services/sim-control/sim-control-server.js';
import { simSocketPath } from './services/sim-control/sim-control-protocol.js';
import { apiListenOptions, PosSoapServer } from './services/soap/pos-soap-server.js';
import { lockDataDir } from './services/store/data-dir-lock.js';
import { SessionStore } from './services/store/session-store.js';

export const VERSION = '0.1.0';
const HOUR = 3_600_000;
const ARCHIVE_EVERY_MS = 10 * 60_000;
const CASES_EVERY_MS = 2000;

export interface Daemon {
  config: Config;
  store: SessionStore;
  engine: PaymentEngine;
  /** The cash inventory's collections and refills (docs/design.md, "Cash inventory"). */
  cash: CashService;
  /** The report outbox's delivery worker (contract 3); its snapshot() is for the status page. */
  reports: DeliveryWorker;
  soap: PosSoapServer;
  devices: PaymentDevices;
  sim: SimDevices | null;
  log: Logger;
  /** systemd notify/watchdog, LED, status page (docs/appliance.md); null when started with `appliance: false`. */
  appliance: Appliance | null;
  /** Owed change and unknown card outcomes, open and settled. */
  cases: OpenCaseMonitor;
  /** Port the SOAP service listens on (useful with port 0 in tests). */
  port(): number;
  stop(): Promise<void>;
}

export interface DaemonOptions {
  log?: Logger;
  /** Clock for tests. */
  now?: () => number;
  /** Attach the appliance (docs/appliance.md): sd_notify, LED, status page. Default true. */
  appliance?: boolean;
}

export async function startDaemon(config: Config, opts: DaemonOptions = {}): Promise<Daemon> {
  const log = opts.log ?? createLogger(config.log.level);
  // A bad board profile throws its configuration error (1xx) here, before the data directory is locked:
  // `paypoint serve` then starts the configuration-error mode (docs/appliance.md, "Configuration error").
  await checkBoardProfile(config);
  const dataDir = config.storage.data_dir;
  const unlock = lockDataDir(dataDir);
  const cleanups: Array<() => Promise<void> | void> = [unlock];
  try {
    const store = await SessionStore.open(dataDir);
    if (store.lastRepair.removedBytes > 0) {
      log.warn({ removedBytes: store.lastRepair.removedBytes, keptAt: store.lastRepair.keptAt }, 'store: torn tail from a power cut removed (never acknowledged)');
    }
    const { devices, sim, extraStops } = await assembleDevices(config, log);
    cleanups.push(...extraStops);
    for (const d of [...devices.acceptors, devices.dispenser, devices.card, devices.cancelButton]) {
      if (d) {
        await d.start();
        cleanups.push(() => d.stop());
      }
    }
    const engine = new PaymentEngine({
      store,
      devices,
      settings: {
        terminalId: config.pos.terminal_id,
        timeoutMs: config.pos.session_timeout_s * 1000,
        reportCancelledWithCashKept: config.pos.report_cancelled_with_cash_kept,
        cardAvailable: devices.card !== null,
      },
      enabled: config.pos.enabled,
      maxAmount: config.pos.max_amount,
      uidMemoryMs: config.storage.uid_memory_h * HOUR,
      log,
      now: opts.now,
      cash: { usualBill: config.cash.usual_bill || null, cassetteCapacity: await cassetteCapacity(config, log) },
    });
    await engine.start();
    cleanups.push(() => engine.stop());
    const cash = new CashService({ store, engine, devices, log, now: opts.now });
    await cash.openIfNew();

    // Owed change and unknown card outcomes, and how people settled them (`paypoint settle`).
    const cases = new OpenCaseMonitor(dataDir, store, devices.card, log, opts.now);
    const refreshCases = () => cases.refresh().catch((e) => log.error({ err: { message: (e as Error).message } }, 'open cases: refresh failed'));
    await refreshCases();
    const casesTimer = setInterval(() => void refreshCases(), CASES_EVERY_MS);
    casesTimer.unref();
    cleanups.push(() => clearInterval(casesTimer));

    // Contract 3: every report the engine queued (in the write that finished its session) goes to 1C.
    // The Register client (node-soap over node-libcurl, about 20 MB) is loaded only when there is a
    // processing server to talk to.
    const sender = config.processing.url
      ? await (await import('./services/reports/register-client.js')).RegisterClient.create(config.processing, `PayPoint/${VERSION}`)
      : null;
    const reports = new DeliveryWorker({
      store,
      sender,
      log,
      now: opts.now,
      retryScale: config.processing.retry_scale,
      probeIntervalMs: config.processing.probe_interval_s * 1000,
    });
    engine.on('finished', (s) => reports.notify(s));
    await reports.start();
    cleanups.push(() => reports.stop());

    const soap = new PosSoapServer({
      ...apiListenOptions(config.api),
      log,
      service: { pay: (r) => engine.pay(r), poll: (uid) => engine.poll(uid) },
    });
    await soap.start();
    cleanups.push(() => soap.stop());

    const control = new SimControlServer(simSocketPath(dataDir, soap.port()), sim, engine, log);
    await control.start();
    cleanups.push(() => control.stop());

    const now = opts.now ?? Date.now;
    let lastCompactionAt = 0;
    const housekeeping = setInterval(() => {
      void (async () => {
        const moved = await store.archive(now() - config.storage.uid_memory_h * HOUR);
        // nedb appends a line per update; compact now and then so the file (and the next load) stays small.
        if (!moved && store.writes - lastCompactionAt > 2000) {
          lastCompactionAt = store.writes;
          await store.compact();
        }
        const pruned = await store.journal.prune(now(), config.storage.journal_days);
        if (moved || pruned) log.info({ moved, pruned }, 'store: sessions moved to the journal');
      })().catch((e) => log.error({ err: { message: (e as Error).message } }, 'store housekeeping failed'));
    }, ARCHIVE_EVERY_MS);
    housekeeping.unref();
    cleanups.push(() => clearInterval(housekeeping));

    // --- the appliance (docs/appliance.md), attached once the store is loaded and SOAP listens (READY=1 means that).
    const appliance = opts.appliance === false ? null : await attachAppliance({ config, store, engine, devices, log, cash, cases }, { version: VERSION });
    if (appliance) cleanups.push(() => appliance.stop());
    // ---

    log.info(
      { port: soap.port(), dataDir, terminalId: config.pos.terminal_id, devices: { card: config.devices.card }, auth: config.api.require_auth, version: VERSION },
      'ready',
    );
    let stopped = false;
    return {
      config,
      store,
      engine,
      cash,
      reports,
      soap,
      devices,
      sim,
      log,
      appliance,
      cases,
      port: () => soap.port(),
      async stop() {
        if (stopped) return;
        stopped = true;
        for (const c of cleanups.reverse()) await c();
        log.info({}, 'stopped');
      },
    };
  } catch (e) {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
    throw e;
  }
}
