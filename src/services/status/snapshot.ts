/**
 * Everything the status page, /api/status and /metrics show (docs/appliance.md), in one JSON-ready value.
 * Never a password or secret: the configuration summary lists what is *set*, not what it is.
 */
import { hostname, networkInterfaces } from 'node:os';
import type { Config } from '../../config/schema.js';
import type { DeviceHealth } from '../../drivers/interfaces.js';
import type { ClockState } from '../clock/clock.js';
import type { HealthState } from '../health/health.js';
import type { LedCode } from '../led/led-codes.js';
import type { StoredSession, UnattributedCredit } from '../store/session-store.js';
import type { ImportMarker } from '../usb-import/result-marker.js';
import type { CashView } from '../cash/cash-service.js';
import type { OutboxSummary } from './outbox-summary.js';
import type { CaseList } from '../../payment/open-cases.js';
import type { Totals } from '../../payment/daily-totals.js';

/** Owed change, unknown card outcomes (open and settled), late card approvals reversed with FIN 0. */
export type CasesView = CaseList & { lateReversed: Array<{ opId: string; opNumber: number; amount: number; at: number; ref: string | null }> };
import type { UpdateMarker } from '../update/update-marker.js';

export type UnitState = 'booting' | 'ready' | 'payment' | 'degraded' | 'unhealthy' | 'disabled' | 'config-error';

/** Why the daemon runs in the configuration-error mode (docs/appliance.md, "Configuration error"). */
export interface ConfigErrorView {
  /** The PayPoint error code (1xx). */
  code: number;
  /** Each problem as the loader names it: file, line (0: not known), field, reason. */
  problems: Array<{ file: string; line: number; field: string; reason: string }>;
  /** "config": the configuration file; "board-profile": the board profile it names. */
  source: 'config' | 'board-profile';
  /** Whether the configuration in `config` is the operator's own file (a board-profile error) or the
   *  built-in defaults (the file itself could not be loaded). */
  configTrusted: boolean;
  /** Reports to the processing server go out (only with the operator's own settings). */
  reportsSent: boolean;
}

export interface SessionLine {
  uid: string;
  state: StoredSession['state'];
  amount: number;
  credited: number;
  payType: 0 | 1 | null;
  change: number;
  rest: number;
  createdAt: number;
  finishedAt: number | null;
  report: 'none' | 'pending' | 'delivered';
}

export interface StatusSnapshot {
  version: string;
  now: number;
  startedAt: number;
  uptimeS: number;
  unit: { terminalId: string; title: string; name: string; hostname: string };
  config: Record<string, Record<string, unknown>>;
  state: UnitState;
  led: LedCode | null;
  attention: string[];
  health: HealthState;
  session: (SessionLine & { timeoutS: number; cardOffered: boolean }) | null;
  devices: DeviceHealth[];
  cash: {
    /** What the change dispenser's driver counts in each hopper (it plans the change from these). */
    hoppers: Array<{ value: number; count: number }>;
    /** Bills stacked since the last collection against the board profile's capacity. */
    cassette: CashView['limits']['cassette'];
    /** The stored inventory per denomination (docs/design.md, "Cash inventory") and its totals, kopecks. */
    inventory: CashView['inventory'];
    totals: CashView['totals'];
    hoppersLow: CashView['limits']['hoppers'];
    billsAccepted: boolean;
    /** The newest collections and refills, newest first. */
    records: CashView['records'];
    /** Whether the page may offer collection and refill (the status page has its login). */
    actions: boolean;
  };
  outbox: OutboxSummary;
  sessions: SessionLine[];
  unattributed: Array<{ source: string; value: number; refunded: number; rest: number; at: number; reason: string }>;
  network: { interfaces: Array<{ name: string; addresses: string[] }>; processingConfigured: boolean; processingUrl: string };
  clock: ClockState & { unsyncedFinishes: number };
  lastImport: ImportMarker | null;
  systemd: { notify: boolean; watchdogMs: number | null };
  cases: CasesView;
  /** Today (local day) and since the last collection; null before the first computation. */
  totals: { today: Totals; sinceCollection: Totals } | null;
  /** A/B root slots (RAUC): the booted slot and its bundle version, or "no A/B"; the last update's outcome. */
  update: UpdateInfo;
  /** Present only in the configuration-error mode (state "config-error"). */
  configError?: ConfigErrorView;
}

export interface UpdateInfo {
  ab: boolean;
  slot: string | null;
  bundleVersion: string | null;
  /** "A (bundle 1.2.0)" or "no A/B". */
  slotLine: string;
  /** "marked good: slot B (1.2.0)", "fell back to slot A: ...", "no update yet". */
  words: string;
  last: UpdateMarker | null;
}

const SECRET_KEY = /password|secret|token/i;

/** The configuration without secrets: a secret field becomes `<name>_set: true|false`. */
export function configSummary(cfg: Config): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [section, fields] of Object.entries(cfg as unknown as Record<string, Record<string, unknown>>)) {
    const s: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(fields)) {
      if (SECRET_KEY.test(k)) s[`${k}_set`] = typeof v === 'string' && v !== '';
      else if (section === 'devices' && k === 'sim') continue; // wiring detail, shown as devices
      else s[k] = v;
    }
    out[section] = s;
  }
  return out;
}

export function sessionLine(s: StoredSession): SessionLine {
  return {
    uid: s.uid,
    state: s.state,
    amount: s.amount,
    credited: s.credited,
    payType: s.payType,
    change: s.payout?.purpose === 'change' ? s.payout.due : 0,
    rest: s.payout?.rest ?? 0,
    createdAt: s.createdAt,
    finishedAt: s.finishedAt,
    report: s.outbox === null ? 'none' : s.outbox.state,
  };
}

export function interfacesNow(): StatusSnapshot['network']['interfaces'] {
  const out: StatusSnapshot['network']['interfaces'] = [];
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    const list = (addrs ?? []).filter((a) => !a.internal).map((a) => `${a.address}/${a.netmask}`);
    if (list.length) out.push({ name, addresses: list });
  }
  return out;
}

export interface SnapshotInputs {
  version: string;
  startedAt: number;
  now: number;
  config: Config;
  booting: boolean;
  led: LedCode | null;
  attention: string[];
  health: HealthState;
  current: StoredSession | null;
  hoppers: Record<number, number>;
  cash: CashView;
  cashActions: boolean;
  outbox: OutboxSummary;
  recent: StoredSession[];
  unattributed: UnattributedCredit[];
  clock: ClockState;
  unsyncedFinishes: number;
  lastImport: ImportMarker | null;
  notify: { enabled: boolean; watchdogMs: number | null };
  cases?: CasesView;
  totals?: { today: Totals; sinceCollection: Totals } | null;
  update?: UpdateInfo;
}

export function buildSnapshot(i: SnapshotInputs): StatusSnapshot {
  const cfg = i.config;
  let state: UnitState = 'ready';
  if (i.booting) state = 'booting';
  else if (!i.health.ok) state = 'unhealthy';
  else if (i.current) state = 'payment';
  else if (!cfg.pos.enabled) state = 'disabled';
  else if (i.health.degraded) state = 'degraded';
  const cur = i.current;
  return {
    version: i.version,
    now: i.now,
    startedAt: i.startedAt,
    uptimeS: Math.max(0, Math.round((i.now - i.startedAt) / 1000)),
    unit: { terminalId: cfg.pos.terminal_id, title: cfg.pos.title, name: cfg.unit.name, hostname: hostname() },
    config: configSummary(cfg),
    state,
    led: i.led,
    attention: i.attention,
    health: i.health,
    session: cur ? { ...sessionLine(cur), timeoutS: Math.round(cur.timeoutMs / 1000), cardOffered: cur.card.opId !== null } : null,
    devices: i.health.devices,
    cash: {
      hoppers: Object.entries(i.hoppers)
        .map(([value, count]) => ({ value: Number(value), count }))
        .sort((a, b) => b.value - a.value),
      cassette: i.cash.limits.cassette,
      inventory: i.cash.inventory,
      totals: i.cash.totals,
      hoppersLow: i.cash.limits.hoppers,
      billsAccepted: i.cash.limits.billsAccepted,
      records: i.cash.records,
      actions: i.cashActions,
    },
    outbox: i.outbox,
    sessions: i.recent.map(sessionLine),
    unattributed: i.unattributed
      .filter((u) => !u.done || u.rest > 0)
      .map((u) => ({ source: u.source, value: u.value, refunded: u.refunded, rest: u.rest, at: u.at, reason: u.reason })),
    network: { interfaces: interfacesNow(), processingConfigured: cfg.processing.url !== '', processingUrl: cfg.processing.url },
    clock: { ...i.clock, unsyncedFinishes: i.unsyncedFinishes },
    lastImport: i.lastImport,
    systemd: { notify: i.notify.enabled, watchdogMs: i.notify.watchdogMs },
    // The newest settled ones; the open ones all (each is money someone must see to).
    cases: i.cases ? { open: i.cases.open, settled: i.cases.settled.slice(-20), lateReversed: i.cases.lateReversed.slice(-20) } : { open: [], settled: [], lateReversed: [] },
    totals: i.totals ?? null,
    update: i.update ?? { ab: false, slot: null, bundleVersion: null, slotLine: 'no A/B', words: 'no update yet', last: null },
  };
}
