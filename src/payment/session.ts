/**
 * The payment session state machine (contract section 2). Pure: no I/O, no clock, no timers. Every
 * transition takes the session and an event and returns the new session plus the effects the engine
 * must carry out *after* it has stored the new session durably (docs/design.md, "No money is lost").
 *
 *   paying ──cash reaches amount──> dispensing ──payout done──> paid        (PayPoll 0)
 *     │   └─card approved─────────────────────────────────────> paid
 *     └──cancel / timeout──> refunding ──payout done──> cancelled            (PayPoll 2)
 *                      (no cash) └────────────────────> cancelled
 */
import type { CardOutcome } from '../drivers/interfaces.js';
import { ErrorCode, PayPointError } from '../errors.js';
import type { PayRequest } from './pay-request.js';
import { orderTotal } from './pay-request.js';
import type { OrderItem, PayType, Report } from '../base/types.js';
import { PollResult } from '../base/types.js';
import { addOne, type Counts } from './cash-inventory.js';

export type SessionState = 'paying' | 'dispensing' | 'paid' | 'refunding' | 'cancelled';
export type CancelReason = 'button' | 'timeout' | 'restart-timeout' | 'shutdown';

export interface Credit {
  source: 'coin' | 'bill' | 'card';
  value: number;
  device: string;
  ref: string;
  at: number;
}

export interface Payout {
  purpose: 'change' | 'refund';
  /** What the customer is owed, kopecks. Grows if a coin slips in while paying out. */
  due: number;
  /** Paid out so far, coin by coin. */
  paid: number;
  /** Could not be paid (dispenser empty, jammed, denominations that do not fit): the rest amount. */
  rest: number;
  /** Whether a dispense request is outstanding (for resume after a restart). */
  active: boolean;
  /** Coins paid out so far by value (kopecks key -> count): the hoppers' side of the cash inventory
   *  (payment/cash-inventory.ts), stored in the same write as `paid`. Absent in sessions stored before. */
  coins?: Counts;
}

export interface CardState {
  /** Operation number of the offer now out at the card module, persisted before the request goes out. */
  opId: string | null;
  offers: number;
  declines: number;
  lastDecline: string | null;
  /** The card module's reference of the approval. */
  approvalRef: string | null;
}

export interface SessionSettings {
  terminalId: string;
  timeoutMs: number;
  /** Contract 3: report cancelled sessions whose cash could not all be given back. */
  reportCancelledWithCashKept: boolean;
  /** Whether a card reader is available to offer the card at all. */
  cardAvailable: boolean;
}

export interface Session {
  _id: string;
  uid: string;
  amount: number;
  order: OrderItem[];
  /** Sum of count x cost; recorded beside amount, never compared with it (contract 1). */
  orderTotal: number;
  state: SessionState;
  createdAt: number;
  updatedAt: number;
  lastActivityAt: number;
  timeoutMs: number;
  credits: Credit[];
  /** Sum of credits, kopecks. */
  credited: number;
  payType: PayType | null;
  card: CardState;
  /** A cancel that waits for the card module's answer (it may be charging the card right now). */
  cancelRequested: CancelReason | null;
  cancelReason: CancelReason | null;
  payout: Payout | null;
  finishedAt: number | null;
  /** The Register report, written in the same durable write that finishes the session (outbox). */
  report: Report | null;
  /** Incremented by every transition: a store write is keyed by it. */
  version: number;
}

export type SessionEvent =
  | { type: 'cash'; source: 'coin' | 'bill'; value: number; device: string; ref: string }
  | { type: 'card-offered'; opId: string }
  | { type: 'card-outcome'; outcome: CardOutcome }
  | { type: 'cancel'; reason: CancelReason }
  | { type: 'coin-out'; value: number }
  | { type: 'payout-done'; requested: number; paid: number };

export type Effect =
  | { type: 'enable-cash' }
  | { type: 'disable-cash' }
  | { type: 'offer-card'; amount: number }
  | { type: 'cancel-card'; opId: string }
  | { type: 'payout'; amount: number }
  | { type: 'finished'; state: 'paid' | 'cancelled' };

export interface Transition {
  session: Session;
  effects: Effect[];
}

function invalid(session: Session, event: SessionEvent): never {
  throw new PayPointError(ErrorCode.PaymentInvalidEvent, `event ${event.type} not allowed in state ${session.state}`, {
    uid: session.uid,
    state: session.state,
    event: event.type,
  });
}

export function newSession(req: PayRequest, id: string, now: number, settings: SessionSettings): Transition {
  const session: Session = {
    _id: id,
    uid: req.uid,
    amount: req.amount,
    order: req.order,
    orderTotal: orderTotal(req.order),
    state: 'paying',
    createdAt: now,
    updatedAt: now,
    lastActivityAt: now,
    timeoutMs: settings.timeoutMs,
    credits: [],
    credited: 0,
    payType: null,
    card: { opId: null, offers: 0, declines: 0, lastDecline: null, approvalRef: null },
    cancelRequested: null,
    cancelReason: null,
    payout: null,
    finishedAt: null,
    report: null,
    version: 1,
  };
  return { session, effects: openingEffects(session, settings) };
}

/** Contract 2.1-2.3: cash always; the card for exactly the amount, and only while no cash is taken. */
function openingEffects(s: Session, settings: SessionSettings): Effect[] {
  const effects: Effect[] = [{ type: 'enable-cash' }];
  if (settings.cardAvailable && s.credited === 0 && s.card.opId === null) effects.push({ type: 'offer-card', amount: s.amount });
  return effects;
}

/** PayPoll's answer for a stored session (contract 1). */
export function pollResult(s: Session): PollResult {
  switch (s.state) {
    case 'paid':
      return PollResult.Paid;
    case 'cancelled':
      return PollResult.Cancelled;
    default:
      return PollResult.InProgress;
  }
}

export function isFinal(s: Session): boolean {
  return s.state === 'paid' || s.state === 'cancelled';
}

/** Whether the inactivity timeout (contract 2.4) has run out at `now`. */
export function timedOut(s: Session, now: number): boolean {
  return s.state === 'paying' && s.cancelRequested === null && now - s.lastActivityAt >= s.timeoutMs;
}

export function applyEvent(prev: Session, event: SessionEvent, now: number, settings: SessionSettings): Transition {
  const s: Session = structuredClone(prev);
  s.version += 1;
  s.updatedAt = now;
  const effects: Effect[] = [];

  switch (event.type) {
    case 'cash': {
      if (!Number.isSafeInteger(event.value) || event.value <= 0) invalid(prev, event);
      if (isFinal(s)) invalid(prev, event); // the engine books such a credit as unattributed
      s.credits.push({ source: event.source, value: event.value, device: event.device, ref: event.ref, at: now });
      s.credited += event.value;
      s.lastActivityAt = now;
      if (s.state === 'paying') {
        // Contract 2.2: once cash has been taken, the card is no longer offered.
        // (Once: a second coin must not send the card module a second abort.)
        if (s.card.opId !== null && prev.credited === 0 && prev.cancelRequested === null) effects.push({ type: 'cancel-card', opId: s.card.opId });
        if (s.credited >= s.amount && s.cancelRequested === null) {
          s.payType = s.payType ?? 0;
          startPayout(s, 'change', s.credited - s.amount, effects, now, settings);
        } else if (s.cancelRequested !== null && s.card.opId === null) {
          startPayout(s, 'refund', s.credited, effects, now, settings);
        }
      } else if (s.payout) {
        // A coin slipped in while paying out: it is owed back too; paid out when the current run ends.
        s.payout.due += event.value;
      }
      break;
    }

    case 'card-offered': {
      if (s.state !== 'paying' || s.card.opId !== null) invalid(prev, event);
      s.card.opId = event.opId;
      s.card.offers += 1;
      break;
    }

    case 'card-outcome': {
      const o = event.outcome;
      if (s.card.opId === null || o.opId !== s.card.opId) {
        // An answer about an offer we no longer wait for (already cancelled or superseded).
        if (o.result === 'approved') invalid(prev, event); // the engine keeps such an approval, see engine
        return { session: prev, effects: [] };
      }
      s.card.opId = null;
      if (o.result === 'approved') {
        // Contract 2.3: the card was asked for exactly `amount`; approval ends the session as paid.
        if (s.state !== 'paying') invalid(prev, event);
        s.credits.push({ source: 'card', value: o.amount, device: 'card', ref: o.ref, at: now });
        s.credited += o.amount;
        s.card.approvalRef = o.ref;
        s.payType = 1;
        s.lastActivityAt = now;
        // Cash taken in a race with the approval is given back as change (reported as charge_amount).
        startPayout(s, 'change', s.credited - s.amount, effects, now, settings);
      } else {
        if (o.result === 'declined') {
          s.card.declines += 1;
          s.card.lastDecline = o.reason;
          s.lastActivityAt = now;
        }
        if (s.state === 'paying' && s.cancelRequested !== null) {
          finishCancel(s, s.cancelRequested, effects, now, settings);
        } else if (s.state === 'paying' && s.credited === 0 && settings.cardAvailable) {
          // Contract 2.3: a decline lets the customer try again (or pay cash) until the timeout.
          effects.push({ type: 'offer-card', amount: s.amount });
        }
      }
      break;
    }

    case 'cancel': {
      if (s.state !== 'paying') {
        // Already paying out or finished: a cancel changes nothing (the button pressed twice).
        return { session: prev, effects: [] };
      }
      if (s.card.opId !== null) {
        // The card module may be charging the card right now: ask it to stop and wait for its answer.
        s.cancelRequested = event.reason;
        effects.push({ type: 'disable-cash' }, { type: 'cancel-card', opId: s.card.opId });
      } else {
        finishCancel(s, event.reason, effects, now, settings);
      }
      break;
    }

    case 'coin-out': {
      if (!s.payout || !s.payout.active) invalid(prev, event);
      s.payout.paid += event.value;
      s.payout.coins = addOne(s.payout.coins ?? {}, event.value);
      break;
    }

    case 'payout-done': {
      if (!s.payout || !s.payout.active) invalid(prev, event);
      const p = s.payout;
      p.active = false;
      p.rest += Math.max(0, event.requested - event.paid);
      const outstanding = p.due - p.paid - p.rest;
      if (outstanding > 0) {
        // Credits arrived during the payout: pay them out too.
        p.active = true;
        effects.push({ type: 'payout', amount: outstanding });
      } else {
        finish(s, p.purpose === 'change' ? 'paid' : 'cancelled', effects, now, settings);
      }
      break;
    }
  }
  return { session: s, effects };
}

/** After a restart (contract 2.5): resume with the credit intact, or cancel if the timeout passed. */
export function resume(prev: Session, now: number, settings: SessionSettings): Transition {
  if (isFinal(prev)) return { session: prev, effects: [] };
  if (prev.state === 'paying' && prev.cancelRequested === null && prev.card.opId === null && timedOut(prev, now)) {
    return applyEvent(prev, { type: 'cancel', reason: 'restart-timeout' }, now, settings);
  }
  const effects: Effect[] = [];
  if (prev.state === 'paying') {
    if (prev.cancelRequested === null) effects.push(...openingEffects(prev, settings));
    // An offer that was out at the restart is settled by the engine through CardReader.recover.
  } else if (prev.payout) {
    const outstanding = prev.payout.due - prev.payout.paid - prev.payout.rest;
    if (outstanding > 0) {
      effects.push({ type: 'payout', amount: outstanding });
      const s = structuredClone(prev);
      s.payout!.active = true;
      return { session: s, effects };
    }
    const s = structuredClone(prev);
    s.version += 1;
    s.updatedAt = now;
    s.payout!.active = false;
    finish(s, s.payout!.purpose === 'change' ? 'paid' : 'cancelled', effects, now, settings);
    return { session: s, effects };
  }
  return { session: prev, effects };
}

function finishCancel(s: Session, reason: CancelReason, effects: Effect[], now: number, settings: SessionSettings): void {
  s.cancelRequested = null;
  s.cancelReason = reason;
  if (!effects.some((e) => e.type === 'disable-cash')) effects.push({ type: 'disable-cash' });
  if (s.credited > 0) {
    // Contract 2.4: cash already taken is given back through the change dispenser.
    startPayout(s, 'refund', s.credited, effects, now, settings, false);
  } else {
    finish(s, 'cancelled', effects, now, settings);
  }
}

function startPayout(
  s: Session,
  purpose: Payout['purpose'],
  due: number,
  effects: Effect[],
  now: number,
  settings: SessionSettings,
  disable = true,
): void {
  if (disable && !effects.some((e) => e.type === 'disable-cash')) effects.push({ type: 'disable-cash' });
  s.payout = { purpose, due, paid: 0, rest: 0, active: due > 0, coins: {} };
  if (due > 0) {
    s.state = purpose === 'change' ? 'dispensing' : 'refunding';
    effects.push({ type: 'payout', amount: due });
  } else {
    finish(s, purpose === 'change' ? 'paid' : 'cancelled', effects, now, settings);
  }
}

function finish(s: Session, state: 'paid' | 'cancelled', effects: Effect[], now: number, settings: SessionSettings): void {
  s.state = state;
  s.finishedAt = now;
  s.report = buildReport(s, settings);
  effects.push({ type: 'finished', state });
}

/** Contract 3: the report of a paid session; of a cancelled one only with the option on and cash kept. */
export function buildReport(s: Session, settings: SessionSettings): Report | null {
  const time = Math.floor((s.finishedAt ?? s.updatedAt) / 1000);
  const rest = s.payout?.rest ?? 0;
  if (s.state === 'paid') {
    return {
      terminal_id: settings.terminalId,
      uid: s.uid,
      amount: s.amount,
      pay_amount: s.credited,
      charge_amount: s.credited - s.amount,
      rest_amount: rest,
      pay_type: s.payType ?? 0,
      order: s.order,
      time,
    };
  }
  if (s.state === 'cancelled' && settings.reportCancelledWithCashKept && rest > 0) {
    return {
      terminal_id: settings.terminalId,
      uid: s.uid,
      amount: 0,
      pay_amount: s.credited,
      charge_amount: s.credited,
      rest_amount: rest,
      pay_type: 0,
      order: s.order,
      time,
    };
  }
  return null;
}
