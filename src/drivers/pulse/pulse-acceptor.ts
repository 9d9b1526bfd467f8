/**
 * A coin acceptor (CH-926 class) or bill validator in pulse mode (README.md, "Cash hardware"): decodes the pulse
 * line with PulseDecoder and credits each recognised train; opens and closes through an inhibit line.
 * Implements CashAcceptor.
 *
 * A pulse device cannot be told to wait: the coin is in the cash box when its pulses end. So the
 * acknowledgement rule here means: credits are stored one at a time in arrival order, each awaited,
 * and a failed store is retried with the same `ref` (the domain recognises a repeat) before it is
 * given up as a fault that the technician sees. Unknown pulse counts and spoilt trains are logged as
 * errors and never credited (README.md, "Cash hardware").
 */
import { PulseDecoder, type PulseDecoderConfig, type PulseEvent } from '../../codecs/pulse/pulse-decoder.js';
import { now, type InputLine, type OutputLine } from '../../transports/gpio/line.js';
import type { CashAcceptor, CashCredit, DeviceHealth } from '../interfaces.js';
import { nullLog, type DriverLog } from '../driver-log.js';

export interface PulseAcceptorOptions {
  name: string;
  kind: 'coin' | 'bill';
  /** The pulse output of the device, as a logical line (1 = pulse). */
  pulse: InputLine;
  /** Inhibit: logical 1 blocks the device (claim it with initial 1, so it is blocked from boot). */
  inhibit: OutputLine | null;
  decoder: PulseDecoderConfig;
  /** Attempts to store one credit before giving up (with doubling delays from retryDelayMs). */
  creditAttempts?: number;
  retryDelayMs?: number;
  log?: DriverLog;
}

export class PulseCashAcceptor implements CashAcceptor {
  readonly name: string;
  readonly kind: 'coin' | 'bill';
  private readonly decoder: PulseDecoder;
  private readonly log: DriverLog;
  private creditHandler: ((c: CashCredit) => Promise<void>) | null = null;
  private enabled = false;
  private running = false;
  private unsubscribe: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** Bumped by every schedule(): a barrier that resolves after a newer schedule() is stale. */
  private generation = 0;
  private chain: Promise<void> = Promise.resolve();
  private seq = 0;
  private readonly bootId = Date.now().toString(36);
  private lastError: string | null = null;
  private lostCredits = 0;
  private noise = 0;

  constructor(private readonly options: PulseAcceptorOptions) {
    this.name = options.name;
    this.kind = options.kind;
    this.decoder = new PulseDecoder(options.decoder);
    this.log = options.log ?? nullLog;
  }

  denominations(): number[] {
    return [...new Set(Object.values(this.options.decoder.values))].sort((a, b) => a - b);
  }

  onCredit(handler: (credit: CashCredit) => Promise<void>): void {
    this.creditHandler = handler;
  }

  async setEnabled(enabled: boolean): Promise<void> {
    this.enabled = enabled;
    await this.options.inhibit?.write(enabled && this.running ? 0 : 1);
  }

  health(): DeviceHealth {
    const h = (state: DeviceHealth['state'], detail: string): DeviceHealth => ({ name: this.name, kind: this.kind, state, detail });
    if (!this.running) return h('offline', 'stopped');
    if (this.lostCredits > 0) return h('fault', `${this.lostCredits} taken but not credited (store failed); check the session log`);
    if (this.decoder.stuck(now())) return h('fault', 'pulse line stuck active');
    if (this.lastError) return h('degraded', this.lastError);
    return h('ok', this.enabled ? 'accepting' : 'inhibited');
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = this.options.pulse.onEdge((e) => {
      this.handle(this.decoder.edge(e));
      this.schedule();
    });
    await this.options.inhibit?.write(this.enabled ? 0 : 1);
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await this.options.inhibit?.write(1);
    this.unsubscribe?.();
    this.unsubscribe = null;
    // A train in progress is finished by its deadline: the coin was taken.
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.generation++;
    for (let d = this.decoder.nextDeadline(), i = 0; d !== null && i < 10; d = this.decoder.nextDeadline(), i++) {
      this.handle(this.decoder.tick(d));
    }
    await this.chain;
  }

  /** Resolves when every credit decoded so far has been handled (tests, shutdown). */
  idle(): Promise<void> {
    return this.chain;
  }

  /**
   * The decoder's deadlines (a pulse confirmed, a train ended) pass in this process, but the edges may be
   * read elsewhere: the Pi's GPIO in the helper process (onoff-gpio.ts). Before a deadline is acted on, the
   * line's barrier (InputLine.sync) delivers every edge the reader had seen, and the decoder ticks at the
   * time the reader vouches for, not at now(): else a busy daemon loop whose timer fires after the next
   * pulse of the same coin was read (its edge still queued) would end the train early and split one coin
   * into two wrong credits. The barrier, not decoding in the helper: the decoder, its credits and the
   * inhibit belong with the session here, one line interface serves the three providers, and it costs one
   * round trip per deadline (a few per coin).
   */
  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const generation = ++this.generation;
    const deadline = this.decoder.nextDeadline();
    if (deadline === null) return;
    const ms = Math.max(0, Number(deadline - now()) / 1e6);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.options.pulse.sync().then(
        (at) => this.deadlinePassed(generation, at),
        (e: Error) => {
          this.log.error({ device: this.name, err: e.message }, 'pulse: line barrier failed; deciding on the edges delivered so far');
          this.deadlinePassed(generation, now());
        },
      );
    }, Math.ceil(ms));
  }

  private deadlinePassed(generation: number, at: bigint): void {
    // An edge delivered by the barrier (or a stop) has rescheduled: this deadline is stale.
    if (generation !== this.generation || !this.running) return;
    this.handle(this.decoder.tick(at));
    this.schedule();
  }

  private handle(events: PulseEvent[]): void {
    for (const ev of events) {
      switch (ev.kind) {
        case 'credit': {
          const ref = `${this.name}-${this.bootId}-${++this.seq}`;
          this.lastError = null;
          this.chain = this.chain.then(() => this.credit({ value: ev.value, ref }, ev.count));
          break;
        }
        case 'unknown-count':
          this.lastError = `unknown pulse count ${ev.count}`;
          this.log.error({ device: this.name, count: ev.count }, 'pulse: unknown pulse count, not credited');
          break;
        case 'spoilt':
          this.lastError = `spoilt pulse train: ${ev.reason}`;
          this.log.error({ device: this.name, count: ev.count, reason: ev.reason }, 'pulse: spoilt pulse train, not credited');
          break;
        case 'noise':
          this.noise++;
          this.log.debug({ device: this.name, widthMs: ev.widthMs, total: this.noise }, 'pulse: noise ignored');
          break;
      }
    }
  }

  private async credit(credit: CashCredit, count: number): Promise<void> {
    const attempts = this.options.creditAttempts ?? 5;
    let delay = this.options.retryDelayMs ?? 200;
    for (let i = 1; i <= attempts; i++) {
      try {
        if (!this.creditHandler) throw new Error('no credit handler');
        await this.creditHandler(credit);
        this.log.info({ device: this.name, value: credit.value, ref: credit.ref, count }, 'pulse: credited');
        return;
      } catch (e) {
        this.log.error({ device: this.name, value: credit.value, ref: credit.ref, attempt: i, err: String(e) }, 'pulse: credit not stored');
        if (i < attempts) {
          await new Promise((r) => setTimeout(r, delay));
          delay *= 2;
        }
      }
    }
    this.lostCredits++;
  }
}

/** Typical timings of bill validators in pulse mode (50 ms pulses, 50-100 ms apart); values come from configuration. */
export const BILL_PULSE_TIMINGS = { minPulseMs: 20, maxPulseMs: 150, minGapMs: 5, trainEndMs: 300 } as const;
/** CH-926 in its medium (50 ms) setting. */
export const COIN_PULSE_TIMINGS = { minPulseMs: 20, maxPulseMs: 120, minGapMs: 5, trainEndMs: 200 } as const;

/** A bill validator in pulse mode, for units without a serial link: the same decoder, its own table. */
export function pulseBillValidator(options: Omit<PulseAcceptorOptions, 'kind'>): PulseCashAcceptor {
  return new PulseCashAcceptor({ ...options, kind: 'bill' });
}
