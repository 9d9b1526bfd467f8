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

  /** The bill values a payment with `due` left can take now. */
  private billsOpen(a: CashAcceptor, due: number): number[] {
    const d = this.devices.dispenser;
    return acceptableBills(a.denominations(), due, d ? (x) => d.payable(x) : null, this.limits().billsAccepted);
  }

  /**
   * Opens the acceptors for a payment: coins always; bills narrowed to those the unit can handle (an
   * acceptor without per-value control stays closed unless it can take every value it knows).
   */
  async open(s: Session): Promise<void> {
    const due = Math.max(0, s.amount - s.credited);
    await Promise.all(
      this.devices.acceptors.map(async (a) => {
        if (a.kind !== 'bill') return a.setEnabled(true);
        const open = this.billsOpen(a, due);
        if (a.setAccepted) {
          await a.setAccepted(open);
          return a.setEnabled(open.length > 0);
        }
        return a.setEnabled(open.length === a.denominations().length);
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
      const open = this.billsOpen(a, due);
      if (a.setAccepted) await a.setAccepted(open);
      else if (open.length < a.denominations().length) await a.setEnabled(false);
    }
  }
}
