/**
 * What the acceptors are left open for (docs/design.md, "Running low and full"): the payment engine asks
 * here when it opens the acceptors for a payment and after each credit. Coins are always taken; bills
 * only while the cassette is not full, and in a payment only those that do not exceed what is due or
 * whose change the hoppers can pay now. Measured against the stored inventory (cassette count since the
 * last collection) and the dispenser's levels, so a collection or a refill reopens by itself.
 */
import type { CashAcceptor, PaymentDevices } from '../../drivers/interfaces.js';
import { acceptableBills, cashLimits, type CashLimits } from '../../payment/cash-limits.js';
import type { Session } from '../../payment/session.js';
import type { SessionStore } from '../store/session-store.js';

export interface CashGateOptions {
  /** The bill customers usually pay with, kopecks (null: hoppers never called low). */
  usualBill: number | null;
  /** Bills the cassette holds, from the board profile (null: unknown). */
  cassetteCapacity: number | null;
}

export class CashGate {
  constructor(
    private readonly store: SessionStore,
    private readonly devices: PaymentDevices,
    private readonly opts: CashGateOptions,
  ) {}

  limits(): CashLimits {
    return cashLimits({
      inventory: this.store.inventory(),
      hopperLevels: this.devices.dispenser?.levels() ?? {},
      usualBill: this.opts.usualBill,
      cassetteCapacity: this.opts.cassetteCapacity,
    });
  }

  /** Whether a payment with `due` left can take a bill of `value` now (asked live by the validator). */
  private billFilter(due: number): (value: number) => boolean {
    const d = this.devices.dispenser;
    return (value) => acceptableBills([value], due, d ? (x) => d.payable(x) : null, this.limits().billsAccepted).length > 0;
  }

  /** An acceptor without per-value control is opened only if it can take every value it knows. */
  private takesAll(a: CashAcceptor, due: number): boolean {
    const accepts = this.billFilter(due);
    return a.denominations().every(accepts);
  }

  /** Opens the acceptors for a payment: coins always; bills narrowed to those the unit can handle. */
  async open(s: Session): Promise<void> {
    const due = Math.max(0, s.amount - s.credited);
    await Promise.all(
      this.devices.acceptors.map(async (a) => {
        if (a.kind !== 'bill') return a.setEnabled(true);
        if (a.setAccepted) {
          await a.setAccepted(this.billFilter(due));
          return a.setEnabled(true);
        }
        return a.setEnabled(this.takesAll(a, due));
      }),
    );
  }

  /**
   * After a credit, what is still due shrank: narrows the bill values left open. Only ever closes: a
   * disable for the payout that may be starting must not be undone by a late open.
   */
  async narrow(s: Session): Promise<void> {
    const due = Math.max(0, s.amount - s.credited);
    for (const a of this.devices.acceptors) {
      if (a.kind !== 'bill') continue;
      if (a.setAccepted) await a.setAccepted(this.billFilter(due));
      else if (!this.takesAll(a, due)) await a.setEnabled(false);
    }
  }
}
