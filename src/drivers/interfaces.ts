/**
 * The payment-devices interface (docs/design.md): what the payment domain needs from hardware, and
 * nothing more. Simulators (src/drivers/sim/) and real drivers (CCNET, pulse, hoppers, VTK) implement it.
 *
 * Acknowledgement rule (docs/design.md, "No money is lost"): every handler a driver calls returns a
 * promise that resolves only after the event is durably stored. A driver acknowledges to its device or
 * customer (stacks nothing more, answers the sim control channel, ...) only after that promise resolves.
 */

export type DeviceState = 'ok' | 'degraded' | 'fault' | 'offline';

export interface DeviceHealth {
  name: string;
  kind: 'coin' | 'bill' | 'dispenser' | 'card' | 'button';
  state: DeviceState;
  /** One line for the status page and logs; never a secret. */
  detail: string;
  /** The error code (src/errors.ts) of a fault that has one, e.g. 506: the device could not be opened. */
  code?: number;
}

export interface CashCredit {
  /** Kopecks. */
  value: number;
  /** Driver-local reference (escrow id, pulse train number): makes a repeated report recognisable. */
  ref: string;
}

export type EscrowDecision = 'stack' | 'return';

export interface CashAcceptor {
  readonly name: string;
  readonly kind: 'coin' | 'bill';
  /** Values this acceptor can take, kopecks. */
  denominations(): number[];
  /** Opens or closes the acceptor (inhibit line, CCNET ENABLE BILL TYPES). */
  setEnabled(enabled: boolean): Promise<void>;
  /**
   * Narrows what an open acceptor takes to the values `accepts` allows (null: all it can). Asked again
   * whenever the acceptor applies its enable state, so a validator that learns its values later (a CCNET
   * bill table) is narrowed too. A bill validator closes the other bill types (CCNET ENABLE BILL TYPES);
   * an acceptor without per-value control has no such method, and the caller closes it whole instead.
   */
  setAccepted?(accepts: ((value: number) => boolean) | null): Promise<void>;
  /** Called for every credit; the driver acknowledges only after the promise resolves. */
  onCredit(handler: (credit: CashCredit) => Promise<void>): void;
  /** Called when a bill waits in escrow (bill validators only); the domain decides stack or return. */
  onEscrow?(handler: (value: number) => Promise<EscrowDecision>): void;
  health(): DeviceHealth;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface DispenseResult {
  /** Kopecks actually paid out. */
  paid: number;
  /** Kopecks that could not be paid (the rest amount). */
  rest: number;
}

export interface ChangeDispenser {
  readonly name: string;
  /**
   * Pays out `amount` kopecks. `onCoin` is called for every coin that left the dispenser and is awaited
   * (persisted) before the next one is counted as paid, so a power cut mid-payout knows what was paid.
   */
  dispense(amount: number, onCoin: (value: number) => Promise<void>): Promise<DispenseResult>;
  /** The part of `amount` that could be paid from what the dispenser holds now (for escrow decisions). */
  payable(amount: number): number;
  /** Coins held, by value in kopecks. */
  levels(): Record<number, number>;
  /** The technician added `added` coins of `value` (a recorded refill): levels up, an empty hopper usable again. */
  refill?(value: number, added: number): void;
  health(): DeviceHealth;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export type CardOutcome =
  | { opId: string; result: 'approved'; amount: number; ref: string }
  | { opId: string; result: 'declined'; reason: string }
  | { opId: string; result: 'cancelled' };

export interface CardReader {
  readonly name: string;
  /**
   * Asks the card module for exactly `amount` kopecks under operation number `opId` (persisted by the
   * caller before this is called, so that a restart can ask the terminal about it).
   */
  startPayment(opId: string, amount: number): Promise<void>;
  /** Withdraws the offer; the outcome still arrives through onOutcome (cancelled, or approved if too late). */
  cancel(opId: string): Promise<void>;
  onOutcome(handler: (outcome: CardOutcome) => Promise<void>): void;
  /** After a restart: what became of `opId`. 'unknown' keeps the session waiting (the hard case: src/drivers/vtk/vtk-recovery.ts). */
  recover(opId: string): Promise<'approved' | 'declined' | 'cancelled' | 'unknown'>;
  /**
   * A person settled an operation whose outcome the module can no longer learn (the settlement ledger):
   * the waiting session gets it as its outcome. Throws DeviceNotReady when no such operation is open.
   */
  settleByHand?(opId: string, result: 'approved' | 'declined', ref?: string): Promise<void>;
  health(): DeviceHealth;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface CancelButton {
  readonly name: string;
  onPress(handler: () => Promise<void>): void;
  health(): DeviceHealth;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface PaymentDevices {
  acceptors: CashAcceptor[];
  dispenser: ChangeDispenser | null;
  card: CardReader | null;
  cancelButton: CancelButton | null;
}
