/**
 * A simulated card module: holds the offer the payment domain made, and the customer's
 * `approve`/`decline` answers it. `recover` answers from what the simulator remembers, which after a
 * daemon restart is nothing: 'cancelled' (the simple simulator never charges a card it was not told to).
 */
import { ErrorCode, PayPointError } from '../../errors.js';
import type { CardOutcome, CardReader, DeviceHealth } from '../interfaces.js';

export class SimCardReader implements CardReader {
  private handler: ((o: CardOutcome) => Promise<void>) | null = null;
  private offer: { opId: string; amount: number } | null = null;
  private state: DeviceHealth['state'] = 'offline';
  private readonly settled = new Map<string, CardOutcome['result']>();
  private seq = 0;

  constructor(readonly name = 'card') {}

  async startPayment(opId: string, amount: number): Promise<void> {
    this.offer = { opId, amount };
  }

  async cancel(opId: string): Promise<void> {
    if (this.offer?.opId !== opId) return;
    this.offer = null;
    await this.settle({ opId, result: 'cancelled' });
  }

  onOutcome(handler: (o: CardOutcome) => Promise<void>): void {
    this.handler = handler;
  }

  async recover(opId: string): Promise<'approved' | 'declined' | 'cancelled' | 'unknown'> {
    return this.settled.get(opId) ?? 'cancelled';
  }

  currentOffer(): { opId: string; amount: number } | null {
    return this.offer;
  }

  /** The customer's card is approved for the amount offered. */
  async approve(): Promise<number> {
    const offer = this.requireOffer();
    this.offer = null;
    await this.settle({ opId: offer.opId, result: 'approved', amount: offer.amount, ref: `SIM-RRN-${Date.now()}-${++this.seq}` });
    return offer.amount;
  }

  async decline(reason = 'declined by issuer'): Promise<void> {
    const offer = this.requireOffer();
    this.offer = null;
    await this.settle({ opId: offer.opId, result: 'declined', reason });
  }

  private requireOffer(): { opId: string; amount: number } {
    if (this.state !== 'ok') throw new PayPointError(ErrorCode.DeviceNotReady, 'card reader is not running');
    if (!this.offer) throw new PayPointError(ErrorCode.DeviceNotReady, 'no card payment is offered now');
    return this.offer;
  }

  private async settle(o: CardOutcome): Promise<void> {
    this.settled.set(o.opId, o.result);
    if (this.settled.size > 1000) this.settled.delete(this.settled.keys().next().value!);
    await this.handler?.(o);
  }

  /**
   * The terminal stops answering: an open offer is declined at once as the VTK driver declines it
   * (vtk-operations.ts startPayment), and the reader reads offline until start().
   */
  async offline(): Promise<void> {
    const offer = this.offer;
    this.offer = null;
    this.state = 'offline';
    if (offer) await this.settle({ opId: offer.opId, result: 'declined', reason: 'card terminal offline' });
  }

  health(): DeviceHealth {
    return { name: this.name, kind: 'card', state: this.state, detail: this.offer ? `offering ${this.offer.amount}` : 'idle' };
  }

  async start(): Promise<void> {
    this.state = 'ok';
  }

  async stop(): Promise<void> {
    this.state = 'offline';
  }
}
