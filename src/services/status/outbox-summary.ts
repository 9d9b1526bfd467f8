/**
 * The report outbox as the status page shows it (contract 3: "a report that the server keeps refusing
 * stays, flagged, on the status page"). Computed from the store's pending reports; the delivery worker
 * (services/reports) keeps the outbox state in each session, so this needs nothing from it.
 */
import type { SessionStore, StoredSession } from '../store/session-store.js';

export interface OutboxSummary {
  depth: number;
  oldestQueuedAt: number | null;
  lastError: { uid: string; at: number | null; class: string | null; message: string } | null;
  /** Reports the server answered `false` or refused at least once: kept, flagged. */
  refused: Array<{ uid: string; refusals: number; attempts: number; queuedAt: number; lastError: string | null }>;
}

export function summarizeOutbox(pending: StoredSession[]): OutboxSummary {
  let oldest: number | null = null;
  let last: OutboxSummary['lastError'] = null;
  const refused: OutboxSummary['refused'] = [];
  for (const s of pending) {
    const o = s.outbox;
    if (!o) continue;
    if (oldest === null || o.queuedAt < oldest) oldest = o.queuedAt;
    if (o.lastError && (last === null || (o.lastAttemptAt ?? 0) > (last.at ?? 0))) {
      last = { uid: s.uid, at: o.lastAttemptAt, class: o.lastErrorClass, message: o.lastError };
    }
    if (o.refusals > 0) refused.push({ uid: s.uid, refusals: o.refusals, attempts: o.attempts, queuedAt: o.queuedAt, lastError: o.lastError });
  }
  return { depth: pending.length, oldestQueuedAt: oldest, lastError: last, refused };
}

export async function outboxSummary(store: SessionStore): Promise<OutboxSummary> {
  return summarizeOutbox(await store.pendingReports());
}
