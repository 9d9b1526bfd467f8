/**
 * Test helper: puts paid sessions (with their report, queued in the same write) into a real store, by
 * running the real session state machine: Pay, then cash or a card approval for the amount.
 */
import { randomUUID } from 'node:crypto';
import { applyEvent, newSession, type SessionSettings } from '../../../src/payment/session.js';
import type { OrderItem } from '../../../src/base/types.js';
import type { SessionStore, StoredSession } from '../../../src/services/store/session-store.js';

export const SETTINGS: SessionSettings = { terminalId: 'TEST-01', timeoutMs: 120_000, reportCancelledWithCashKept: false, cardAvailable: false };

export const ORDER: OrderItem[] = [
  { id: '4600001', name: 'Хлеб «Бородинский» & <молоко>', count: '1', cost: 5990 },
  { id: 'W-17', name: 'Яблоки (вес)', count: '0.375', cost: 12900 },
];

/** A paid session (cash for exactly the amount) stored with its report queued; resolves with it. */
export async function queuePaid(store: SessionStore, uid: string, amount = 1000, order: OrderItem[] = ORDER, now = Date.now()): Promise<StoredSession> {
  const start = newSession({ uid, amount, order }, randomUUID(), now, SETTINGS);
  await store.insert(start.session);
  const paid = applyEvent(start.session, { type: 'cash', source: 'bill', value: amount, device: 'bill-validator', ref: `r-${uid}` }, now, SETTINGS);
  if (paid.session.state !== 'paid' || !paid.session.report) throw new Error('fixture: session not paid');
  return store.save(paid.session, null, now);
}
