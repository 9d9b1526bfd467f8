/**
 * Stand-ins for devices opened late (reopen.ts): each holds the place of a device in the payment devices
 * from the start, so the payment engine wires its handlers once, and passes everything on to the real
 * driver once it is open. Until then the stand-in is faulted (error 506) and takes no money: an
 * acceptor is not counted as a means of payment (the engine answers Pay -2 if nothing else can take
 * money, contract 1), a dispenser pays nothing (the change becomes the rest amount, contract 2.6), a
 * button cannot be pressed. What the engine asked meanwhile (open or closed, which bills) is applied to
 * the driver as it joins.
 */
import type { CancelButton, CashAcceptor, CashCredit, ChangeDispenser, DeviceHealth, DispenseResult, EscrowDecision } from '../interfaces.js';
import { describeOpenFault, Reopener, type BackoffOptions, type OpenFault } from './reopen.js';
import type { DriverLog } from '../driver-log.js';

export interface LateOptions<T> {
  name: string;
  /** Path or address, named in the fault. */
  target: string;
  /** Builds the real driver (not started); rejects if the device cannot be opened. start() opens it. */
  open: () => Promise<T>;
  backoff?: BackoffOptions;
  log: DriverLog;
}

/** The health of a device not open yet: faulted with error 506, the target and the next try named. */
function notOpen(f: OpenFault | null, name: string, kind: DeviceHealth['kind']): DeviceHealth {
  if (!f) return { name, kind, state: 'offline', detail: 'opening' };
  return { name, kind, state: 'fault', detail: describeOpenFault(f), code: f.error.code };
}

abstract class Late<T extends { start(): Promise<void>; stop(): Promise<void> }> {
  protected readonly reopener: Reopener<T>;
  protected inner: T | null = null;

  constructor(
    readonly name: string,
    o: LateOptions<T>,
  ) {
    const open = async (): Promise<T> => {
      const d = await o.open();
      // Handlers before start: a credit the driver finds at start (a bill stacked before a restart)
      // goes to the engine like any other.
      this.wire(d);
      await d.start();
      return d;
    };
    this.reopener = new Reopener<T>({ name, target: o.target, open, backoff: o.backoff, log: o.log, onOpen: (d) => this.join(d) });
  }

  /** The driver once open (null before). */
  get device(): T | null {
    return this.inner;
  }

  async start(): Promise<void> {
    await this.reopener.start();
  }

  async stop(): Promise<void> {
    await this.reopener.stop();
    await this.inner?.stop();
  }

  private join(d: T): void {
    this.inner = d;
    this.joined(d);
  }

  /** Gives the driver the handlers the engine registered (before its start). */
  protected abstract wire(d: T): void;

  /** Passes on what was asked before the driver was open (after its start). */
  protected abstract joined(d: T): void;
}

export class LateCashAcceptor extends Late<CashAcceptor> implements CashAcceptor {
  private credit: ((c: CashCredit) => Promise<void>) | null = null;
  private escrow: ((value: number) => Promise<EscrowDecision>) | null = null;
  private enabled = false;
  private accepts: ((value: number) => boolean) | null = null;
  private catchUp: Promise<void> = Promise.resolve();

  constructor(
    readonly kind: 'coin' | 'bill',
    /** The values it will take (from the configuration or profile), shown before it is open. */
    private readonly values: number[],
    o: LateOptions<CashAcceptor>,
  ) {
    super(o.name, o);
  }

  denominations(): number[] {
    return this.inner ? this.inner.denominations() : [...this.values];
  }

  async setEnabled(enabled: boolean): Promise<void> {
    this.enabled = enabled;
    await this.apply();
  }

  async setAccepted(accepts: ((value: number) => boolean) | null): Promise<void> {
    this.accepts = accepts;
    await this.apply();
  }

  /**
   * Gives the driver the engine's current wish. The stand-in always offers setAccepted (the engine cannot
   * know what will join), so for a driver without per-value control it does what CashGate does for one:
   * open only if it takes every value left open, else closed.
   */
  private async apply(): Promise<void> {
    await this.catchUp;
    const d = this.inner;
    if (!d) return;
    if (d.setAccepted) {
      await d.setAccepted(this.accepts);
      await d.setEnabled(this.enabled);
      return;
    }
    const accepts = this.accepts;
    await d.setEnabled(this.enabled && (accepts === null || d.denominations().every(accepts)));
  }

  onCredit(handler: (credit: CashCredit) => Promise<void>): void {
    this.credit = handler;
    this.inner?.onCredit(handler);
  }

  onEscrow(handler: (value: number) => Promise<EscrowDecision>): void {
    this.escrow = handler;
    this.inner?.onEscrow?.(handler);
  }

  health(): DeviceHealth {
    return this.inner ? this.inner.health() : notOpen(this.reopener.fault(), this.name, this.kind);
  }

  protected wire(d: CashAcceptor): void {
    if (this.credit) d.onCredit(this.credit);
    if (this.escrow) d.onEscrow?.(this.escrow);
  }

  protected joined(): void {
    this.catchUp = this.apply().catch(() => undefined);
  }
}

export class LateDispenser extends Late<ChangeDispenser> implements ChangeDispenser {
  constructor(
    o: LateOptions<ChangeDispenser>,
    /** Coins held by value, as last saved (the stored fill levels), until the driver is open. */
    private held: Record<number, number>,
    private readonly log: DriverLog,
    /** Saves levels changed by a refill recorded while the driver is not open. */
    private readonly saveLevels?: (levels: Record<number, number>) => void,
  ) {
    super(o.name, o);
  }

  /** The fill levels to build the driver with: the saved ones, with refills recorded meanwhile. */
  levelsNow(): Record<number, number> {
    return { ...this.held };
  }

  async dispense(amount: number, onCoin: (value: number) => Promise<void>): Promise<DispenseResult> {
    if (this.inner) return this.inner.dispense(amount, onCoin);
    // Nothing leaves a dispenser that is not open: all of it is the rest amount (contract 2.6).
    this.log.error({ device: this.name, amount }, 'dispenser not open: change owed as the rest amount');
    return { paid: 0, rest: amount };
  }

  payable(amount: number): number {
    return this.inner ? this.inner.payable(amount) : 0;
  }

  levels(): Record<number, number> {
    return this.inner ? this.inner.levels() : { ...this.held };
  }

  refill(value: number, added: number): void {
    if (this.inner) return this.inner.refill?.(value, added);
    this.held = { ...this.held, [value]: (this.held[value] ?? 0) + added };
    this.saveLevels?.(this.held);
  }

  health(): DeviceHealth {
    return this.inner ? this.inner.health() : notOpen(this.reopener.fault(), this.name, 'dispenser');
  }

  protected wire(): void {
    // The dispenser has no handlers: the engine calls it.
  }

  protected joined(): void {
    // Nothing waits: a payout asked before the driver was open was answered as rest amount.
  }
}

export class LateCancelButton extends Late<CancelButton> implements CancelButton {
  private handler: (() => Promise<void>) | null = null;

  onPress(handler: () => Promise<void>): void {
    this.handler = handler;
    this.inner?.onPress(handler);
  }

  health(): DeviceHealth {
    return this.inner ? this.inner.health() : notOpen(this.reopener.fault(), this.name, 'button');
  }

  protected wire(d: CancelButton): void {
    if (this.handler) d.onPress(this.handler);
  }

  protected joined(): void {
    // The handler was given before start.
  }
}
