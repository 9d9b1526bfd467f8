/**
 * One coin hopper with a parallel interface, Azkoyen U-II style (README.md, "Cash hardware"; docs/design.md, "Protocols"; the
 * remote-token-dispenser docs): a motor line we drive, a coin-out line that gives one pulse (30-65 ms)
 * per coin leaving, an error line that gives error codes as pulse trains, and an optional empty
 * (low-level) sensor.
 *
 * Paying `count` coins: motor on; every coin-out pulse is one coin, reported through `onCoin` (awaited,
 * one at a time, in order); at the count the motor stops, and coins that still drop during the
 * run-down window are counted too (they left the hopper: paid, even though not asked for). No coin for
 * `noCoinTimeoutMs` stops the motor: 'empty' if the sensor says so (or there is no sensor and the level
 * says so), else 'jammed'. An error train stops the motor too.
 */
import { PulseDecoder, type PulseTimings } from '../../codecs/pulse/pulse-decoder.js';
import { now, type InputLine, type OutputLine } from '../../transports/gpio/line.js';
import { nullLog, type DriverLog } from '../driver-log.js';

export interface ParallelHopperOptions {
  name: string;
  /** Coin value, kopecks. */
  value: number;
  /** Logical 1 runs the motor (claim it with initial 0). */
  motor: OutputLine;
  /** Logical 1 while a coin passes the exit sensor. */
  coinOut: InputLine;
  /** Error code trains (logical 1 = pulse), if wired. */
  error?: InputLine | null;
  /** Logical 1 when the hopper is (nearly) empty, if wired. */
  empty?: InputLine | null;
  /** Coin-out pulse timings (Azkoyen: 30-65 ms). */
  coinPulse?: Pick<PulseTimings, 'minPulseMs' | 'maxPulseMs'>;
  /** Error train timings. */
  errorPulse?: PulseTimings;
  /** Error code -> meaning, for the status page (the hopper's manual). */
  errorCodes?: Record<number, string>;
  /** No coin for this long with the motor on: stop, empty or jammed. */
  noCoinTimeoutMs?: number;
  /** After the motor stops, coins still counted for this long. */
  runDownMs?: number;
  log?: DriverLog;
}

/** no-coin: the timeout passed and there is no empty sensor to tell empty from jammed. */
export type HopperStop = 'done' | 'empty' | 'jammed' | 'no-coin' | 'error';

export interface HopperRun {
  /** Coins that left the hopper (may exceed the count asked for by late coins). */
  coins: number;
  stop: HopperStop;
  errorCode?: number;
}

export class ParallelHopper {
  readonly name: string;
  readonly value: number;
  private readonly log: DriverLog;
  private state: { kind: 'ok' } | { kind: 'empty' | 'jammed' | 'no-coin' } | { kind: 'error'; code: number } = { kind: 'ok' };
  private running = false;
  private unsubs: Array<() => void> = [];
  private readonly errorDecoder: PulseDecoder;
  private errorTimer: NodeJS.Timeout | null = null;
  private errorGeneration = 0;
  private coinStart: bigint | null = null;
  private coinListener: (() => void) | null = null;
  private errorListener: ((code: number) => void) | null = null;
  /** Coins seen while no payout was running (a coin falling later still, or a fault): logged. */
  strayCoins = 0;

  constructor(private readonly options: ParallelHopperOptions) {
    this.name = options.name;
    this.value = options.value;
    this.log = options.log ?? nullLog;
    const codes: Record<number, number> = {};
    for (let i = 1; i <= 16; i++) codes[i] = i;
    this.errorDecoder = new PulseDecoder({ ...(options.errorPulse ?? { minPulseMs: 10, maxPulseMs: 200, minGapMs: 3, trainEndMs: 300 }), values: codes });
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.options.motor.write(0);
    const { minPulseMs, maxPulseMs } = this.options.coinPulse ?? { minPulseMs: 15, maxPulseMs: 120 };
    this.unsubs.push(
      this.options.coinOut.onEdge((e) => {
        if (e.missed) {
          // A coin-out pulse (or the gap after one) went unseen (line.ts): its width is unknown, but a coin
          // left; not counting it would pay out more change than owed.
          if (e.level === 0 || this.coinStart !== null) this.coinOut();
          this.coinStart = e.level === 1 ? e.at : null;
          return;
        }
        if (e.level === 1) {
          this.coinStart = e.at;
          return;
        }
        if (this.coinStart === null) return;
        const widthMs = Number(e.at - this.coinStart) / 1e6;
        this.coinStart = null;
        if (widthMs < minPulseMs || widthMs > maxPulseMs) {
          this.log.warn({ device: this.name, widthMs }, 'hopper: coin-out pulse of the wrong width ignored');
          return;
        }
        this.coinOut();
      }),
    );
    if (this.options.error) {
      this.unsubs.push(
        this.options.error.onEdge((e) => {
          this.errorEvents(this.errorDecoder.edge(e));
          this.scheduleError();
        }),
      );
    }
  }

  private coinOut(): void {
    if (this.coinListener) this.coinListener();
    else {
      this.strayCoins++;
      this.log.warn({ device: this.name, stray: this.strayCoins }, 'hopper: coin out while not paying');
    }
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await this.options.motor.write(0);
    for (const u of this.unsubs) u();
    this.unsubs = [];
    if (this.errorTimer) clearTimeout(this.errorTimer);
  }

  /** 'ok', or why the last payout stopped short (cleared by a successful payout or reset()). */
  condition(): { kind: 'ok' } | { kind: 'empty' | 'jammed' | 'no-coin' } | { kind: 'error'; code: number; meaning: string } {
    if (this.state.kind === 'error') return { kind: 'error', code: this.state.code, meaning: this.options.errorCodes?.[this.state.code] ?? `error code ${this.state.code}` };
    return this.state;
  }

  /** The technician refilled or cleared the hopper. */
  reset(): void {
    this.state = { kind: 'ok' };
  }

  isRunning(): boolean {
    return this.running;
  }

  async sensorEmpty(): Promise<boolean | null> {
    return this.options.empty ? (await this.options.empty.read()) === 1 : null;
  }

  /** Pays `count` coins; `onCoin` is awaited for each coin, in order, before the payout resolves. */
  async pay(count: number, onCoin: () => Promise<void>): Promise<HopperRun> {
    if (!this.running) throw new Error(`${this.name} is not started`);
    if (count <= 0) return { coins: 0, stop: 'done' };
    if ((await this.sensorEmpty()) === true) {
      this.state = { kind: 'empty' };
      return { coins: 0, stop: 'empty' };
    }
    const noCoinMs = this.options.noCoinTimeoutMs ?? 2_500;
    const runDownMs = this.options.runDownMs ?? 300;
    let coins = 0;
    let progress: Promise<void> = Promise.resolve();
    let progressError: unknown = null;
    let stopReason: HopperStop | null = null;
    let errorCode: number | undefined;
    let timer: NodeJS.Timeout | null = null;
    let finish!: () => void;
    const stopped = new Promise<void>((r) => (finish = r));

    const motorOff = async (reason: HopperStop) => {
      if (stopReason !== null) return;
      stopReason = reason;
      if (timer) clearTimeout(timer);
      await this.options.motor.write(0);
      // Run-down: coins already past the blades still drop and are counted, up to the last one the
      // coin-out line's reader had seen when the window closed (the barrier, InputLine.sync: the reader
      // may be another process, pulse-acceptor.ts's schedule()).
      setTimeout(() => void this.options.coinOut.sync().then(finish, finish), runDownMs);
    };
    const armTimeout = () => {
      if (timer) clearTimeout(timer);
      const seen = coins;
      timer = setTimeout(() => {
        // "No coin for noCoinMs" only once the coins the reader already saw are delivered.
        const decide = () => {
          if (coins === seen) void motorOff('jammed');
        };
        void this.options.coinOut.sync().then(decide, decide);
      }, noCoinMs);
    };
    this.coinListener = () => {
      coins++;
      const n = coins;
      progress = progress.then(() => onCoin()).catch((e) => {
        progressError ??= e;
      });
      if (n === count) void motorOff('done');
      else if (stopReason === null) armTimeout();
      else this.log.warn({ device: this.name, coin: n, asked: count }, 'hopper: late coin counted');
    };
    this.errorListener = (code) => {
      errorCode = code;
      void motorOff('error');
    };
    armTimeout();
    await this.options.motor.write(1);
    await stopped;
    this.coinListener = null;
    this.errorListener = null;
    await progress;

    let stop: HopperStop = (stopReason as HopperStop | null) ?? 'jammed';
    if (stop === 'jammed') {
      // No coin came: the empty sensor tells empty from jammed, when there is one.
      const sensor = await this.sensorEmpty();
      stop = sensor === null ? 'no-coin' : sensor ? 'empty' : 'jammed';
    }
    if (stop === 'done') this.state = { kind: 'ok' };
    else if (stop === 'error') this.state = { kind: 'error', code: errorCode ?? 0 };
    else this.state = { kind: stop };
    if (stop !== 'done') this.log.error({ device: this.name, coins, asked: count, stop, errorCode }, 'hopper: payout stopped short');
    if (progressError) throw progressError;
    return errorCode === undefined ? { coins, stop } : { coins, stop, errorCode };
  }

  private scheduleError(): void {
    if (this.errorTimer) clearTimeout(this.errorTimer);
    const d = this.errorDecoder.nextDeadline();
    if (d === null) return;
    const generation = ++this.errorGeneration;
    this.errorTimer = setTimeout(() => {
      // The barrier first, and the tick at the time the reader vouches for (pulse-acceptor.ts, schedule()).
      const tick = (at: bigint) => {
        if (generation !== this.errorGeneration || !this.running) return;
        this.errorEvents(this.errorDecoder.tick(at));
        this.scheduleError();
      };
      this.options.error!.sync().then(tick, () => tick(now()));
    }, Math.ceil(Math.max(0, Number(d - now()) / 1e6)));
  }

  private errorEvents(events: ReturnType<PulseDecoder['tick']>): void {
    for (const ev of events) {
      if (ev.kind !== 'credit') continue;
      this.log.error({ device: this.name, code: ev.count }, 'hopper: error code');
      if (this.errorListener) this.errorListener(ev.count);
      else this.state = { kind: 'error', code: ev.count };
    }
  }
}
