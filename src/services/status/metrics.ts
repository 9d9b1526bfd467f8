/**
 * /metrics in the Prometheus text format (docs/appliance.md, "Status page": a fleet is watched with Prometheus and
 * Grafana). A registry of our own (not prom-client's global one), filled from the same snapshot as the
 * page at each scrape, plus Node's process metrics.
 *
 * prom-client is loaded at the first scrape, not at start: with it come about 1 MiB of heap and a
 * PerformanceObserver that allocates on every garbage collection (its GC histogram), paid by a kiosk
 * that nothing scrapes (bench/README.md, "Where memory goes"). Sessions finished before then are
 * counted here and carried into its counter.
 */
import type { Counter, Gauge, Registry } from 'prom-client';
import type { StatusSnapshot } from './snapshot.js';

const DEVICE_STATES = ['ok', 'degraded', 'fault', 'offline'] as const;

/** prom-client's Registry.PROMETHEUS_CONTENT_TYPE (the text format 0.0.4), known before it is loaded. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

interface Built {
  registry: Registry;
  g: Record<string, Gauge<string>>;
  finished: Counter<'state'>;
}

export class StatusMetrics {
  readonly contentType = METRICS_CONTENT_TYPE;
  private built: Promise<Built> | null = null;
  /** Finished sessions by final state, counted before prom-client is loaded. */
  private readonly finishedEarly = new Map<string, number>();
  private finished: Counter<'state'> | null = null;

  private async build(): Promise<Built> {
    const { Counter, Gauge, Registry, collectDefaultMetrics } = await import('prom-client');
    const registry = new Registry();
    if (registry.contentType !== METRICS_CONTENT_TYPE) throw new Error(`prom-client's content type is ${registry.contentType}`);
    collectDefaultMetrics({ register: registry, prefix: 'paypoint_' });
    const gauge = (name: string, help: string, labelNames: string[] = []) => new Gauge({ name, help, labelNames, registers: [registry] });
    const g = {
      info: gauge('paypoint_build_info', 'Always 1; the labels say which firmware and unit.', ['version', 'terminal_id']),
      uptime: gauge('paypoint_uptime_seconds', 'Seconds since the daemon started.'),
      healthy: gauge('paypoint_healthy', '1 while the watchdog is fed (event loop responsive, store writable).'),
      degraded: gauge('paypoint_degraded', '1 while some device is in fault or offline.'),
      attention: gauge('paypoint_attention', '1 while the LED shows attention (rest owed, device fault, clock not synchronised).'),
      session: gauge('paypoint_session_active', '1 while a payment session is in progress.'),
      device: gauge('paypoint_device_state', '1 for the state each device is in.', ['device', 'kind', 'state']),
      deviceError: gauge('paypoint_device_error_code', 'Error code (src/errors.ts) of a device fault, e.g. 506: the device cannot be opened; 0 none.', ['device', 'kind']),
      hopper: gauge('paypoint_hopper_coins', 'Coins held by the change dispenser, by coin value in kopecks.', ['value']),
      inventory: gauge('paypoint_cash_count', 'Bills and coins inside the unit by place (cassette, box, hopper) and value in kopecks (the stored inventory).', ['place', 'value']),
      cassetteBills: gauge('paypoint_cash_cassette_bills', 'Bills in the drop cassette since the last collection.'),
      cassetteCapacity: gauge('paypoint_cash_cassette_capacity', 'Bills the drop cassette holds (board profile; -1 unknown).'),
      cassetteFull: gauge('paypoint_cash_cassette_full', '1 when the cassette is full (no bill taken), 0.5 nearly full, 0 otherwise.'),
      hoppersLow: gauge('paypoint_cash_hoppers_low', '1 while the hoppers cannot make change for the usual bill.'),
      depth: gauge('paypoint_outbox_depth', 'Reports waiting to be delivered to the processing server.'),
      oldest: gauge('paypoint_outbox_oldest_age_seconds', 'Age of the oldest undelivered report (0: none).'),
      refused: gauge('paypoint_outbox_refused', 'Undelivered reports the processing server refused at least once.'),
      clock: gauge('paypoint_clock_synchronized', '1 synchronised, 0 not, -1 unknown.'),
      lag: gauge('paypoint_event_loop_lag_ms', 'Lateness of the last event-loop tick, ms.'),
      configError: gauge('paypoint_config_error', 'Error code (1xx) while the configuration file or board profile cannot be loaded and no payment is taken; 0 none.'),
    };
    const finished = new Counter({ name: 'paypoint_sessions_finished_total', help: 'Sessions finished since the daemon started, by final state.', labelNames: ['state'], registers: [registry] });
    for (const [state, n] of this.finishedEarly) finished.inc({ state }, n);
    this.finishedEarly.clear();
    this.finished = finished;
    return { registry, g, finished };
  }

  sessionFinished(state: string): void {
    if (this.finished) this.finished.inc({ state });
    else this.finishedEarly.set(state, (this.finishedEarly.get(state) ?? 0) + 1);
  }

  async render(s: StatusSnapshot): Promise<string> {
    this.built ??= this.build();
    const { registry, g } = await this.built;
    g.info.reset();
    g.info.set({ version: s.version, terminal_id: s.unit.terminalId }, 1);
    g.uptime.set(s.uptimeS);
    g.healthy.set(s.health.ok ? 1 : 0);
    g.degraded.set(s.health.degraded ? 1 : 0);
    g.attention.set(s.attention.length > 0 ? 1 : 0);
    g.session.set(s.session ? 1 : 0);
    g.device.reset();
    for (const d of s.devices) for (const st of DEVICE_STATES) g.device.set({ device: d.name, kind: d.kind, state: st }, d.state === st ? 1 : 0);
    g.deviceError.reset();
    for (const d of s.devices) g.deviceError.set({ device: d.name, kind: d.kind }, d.code ?? 0);
    g.hopper.reset();
    for (const h of s.cash.hoppers) g.hopper.set({ value: String(h.value) }, h.count);
    g.inventory.reset();
    const places: Array<['cassette' | 'box' | 'hopper', Record<string, number>]> = [['cassette', s.cash.inventory.cassette], ['box', s.cash.inventory.box], ['hopper', s.cash.inventory.hoppers]];
    for (const [place, counts] of places) for (const [value, n] of Object.entries(counts)) g.inventory.set({ place, value }, n);
    g.cassetteBills.set(s.cash.cassette.bills);
    g.cassetteCapacity.set(s.cash.cassette.capacity ?? -1);
    g.cassetteFull.set(s.cash.cassette.level === 'full' ? 1 : s.cash.cassette.level === 'nearly-full' ? 0.5 : 0);
    g.hoppersLow.set(s.cash.hoppersLow.low ? 1 : 0);
    g.depth.set(s.outbox.depth);
    g.oldest.set(s.outbox.oldestQueuedAt === null ? 0 : Math.max(0, (s.now - s.outbox.oldestQueuedAt) / 1000));
    g.refused.set(s.outbox.refused.length);
    g.clock.set(s.clock.synchronized === null ? -1 : s.clock.synchronized ? 1 : 0);
    g.lag.set(s.health.eventLoopLagMs);
    g.configError.set(s.configError?.code ?? 0);
    return registry.metrics();
  }
}
