/**
 * A simulated coin acceptor or bill validator: the customer's `insert` is answered only after the
 * payment domain has stored the credit (the acknowledgement rule of interfaces.ts), and a closed or
 * unknown-value acceptor hands the money back, as the real one does with its inhibit line set.
 */
import { ErrorCode, PayPointError } from '../../errors.js';
import type { CashAcceptor, CashCredit, DeviceHealth, EscrowDecision } from '../interfaces.js';

export type InsertResult = { accepted: true; value: number } | { accepted: false; reason: 'disabled' | 'unknown-value' | 'returned' };

export class SimCashAcceptor implements CashAcceptor {
  private enabled = false;
  private accepts: ((value: number) => boolean) | null = null;
  private creditHandler: ((c: CashCredit) => Promise<void>) | null = null;
  private escrowHandler: ((value: number) => Promise<EscrowDecision>) | null = null;
  private seq = 0;
  private state: DeviceHealth['state'] = 'offline';

  constructor(
    readonly name: string,
    readonly kind: 'coin' | 'bill',
    private readonly values: number[],
  ) {}

  denominations(): number[] {
    return [...this.values];
  }

  async setEnabled(enabled: boolean): Promise<void> {
    this.enabled = enabled;
  }

  async setAccepted(accepts: ((value: number) => boolean) | null): Promise<void> {
    this.accepts = accepts;
  }

  isEnabled(): boolean {
    return this.enabled;
  }

  onCredit(handler: (credit: CashCredit) => Promise<void>): void {
    this.creditHandler = handler;
  }

  onEscrow(handler: (value: number) => Promise<EscrowDecision>): void {
    if (this.kind === 'bill') this.escrowHandler = handler;
  }

  /** The customer inserts a coin or bill of `value` kopecks. */
  async insert(value: number): Promise<InsertResult> {
    if (this.state !== 'ok') throw new PayPointError(ErrorCode.DeviceNotReady, `${this.name} is not running`);
    if (!this.values.includes(value)) return { accepted: false, reason: 'unknown-value' };
    if (!this.enabled || !this.creditHandler) return { accepted: false, reason: 'disabled' };
    if (this.accepts !== null && !this.accepts(value)) return { accepted: false, reason: 'disabled' };
    if (this.escrowHandler && (await this.escrowHandler(value)) === 'return') return { accepted: false, reason: 'returned' };
    const ref = `${this.name}-${Date.now()}-${++this.seq}`;
    await this.creditHandler({ value, ref });
    return { accepted: true, value };
  }

  health(): DeviceHealth {
    return { name: this.name, kind: this.kind, state: this.state, detail: this.state === 'ok' ? (this.enabled ? 'accepting' : 'inhibited') : 'stopped' };
  }

  async start(): Promise<void> {
    this.state = 'ok';
  }

  async stop(): Promise<void> {
    this.state = 'offline';
    this.enabled = false;
  }
}
