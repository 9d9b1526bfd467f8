/**
 * The outbox as the status page and `paypoint reports` show it (docs/contract.md, "3. The report"): depth, age of the oldest
 * pending report, last success, last error of each class, and the reports the server keeps refusing with
 * the reason. Computed by one pure function from the session documents, so the daemon (from its live
 * store) and the command line (from the datafile, read-only: see readOutboxFile) show the same thing.
 */
import type { StoredSession } from '../store/session-store.js';
import type { OutcomeClass } from './outcome.js';

export interface PendingReport {
  id: string;
  uid: string;
  queuedAt: number;
  attempts: number;
  refusals: number;
  lastErrorClass: string | null;
  lastError: string | null;
  lastAttemptAt: number | null;
  nextAttemptAt: number;
}

export interface LinkState {
  state: 'up' | 'down' | 'unknown';
  /** Class of the failure that paused delivery, while down. */
  cls: OutcomeClass | null;
  detail: string | null;
  since: number | null;
  /** When the paused worker tries again at the latest (a successful probe makes it sooner). */
  retryAt: number | null;
}

export interface OutboxSnapshot {
  at: number;
  /** Where reports go; null when processing.url is empty (reports wait). */
  endpoint: string | null;
  depth: number;
  oldestPendingAt: number | null;
  oldestPendingAgeS: number | null;
  deliveredInStore: number;
  lastSuccess: { at: number; uid: string } | null;
  lastErrorByClass: Record<string, { at: number; uid: string; detail: string }>;
  /** Pending reports that the server refused (false, fault, 4xx) or that fail the schema check. */
  refused: PendingReport[];
  pending: PendingReport[];
  /** Live state of the link (only the running daemon knows it). */
  link: LinkState | null;
}

function pendingOf(d: StoredSession): PendingReport {
  const o = d.outbox!;
  return {
    id: d._id,
    uid: d.uid,
    queuedAt: o.queuedAt,
    attempts: o.attempts,
    refusals: o.refusals,
    lastErrorClass: o.lastErrorClass,
    lastError: o.lastError,
    lastAttemptAt: o.lastAttemptAt,
    nextAttemptAt: o.nextAttemptAt,
  };
}

/**
 * A pending report is flagged as refused once the server refused *it* (false, a fault, a 4xx, our schema
 * check, or a timeout on this report alone while the server answers others): see delivery-worker.ts.
 */
export function isRefused(p: { refusals: number }): boolean {
  return p.refusals > 0;
}

export function snapshotFromDocs(docs: Iterable<StoredSession>, now: number, endpoint: string | null, link: LinkState | null = null): OutboxSnapshot {
  const pending: PendingReport[] = [];
  let delivered = 0;
  let lastSuccess: OutboxSnapshot['lastSuccess'] = null;
  const lastErrorByClass: OutboxSnapshot['lastErrorByClass'] = {};
  for (const d of docs) {
    const o = d.outbox;
    if (!o) continue;
    if (o.state === 'pending') pending.push(pendingOf(d));
    else if (o.state === 'delivered') {
      delivered++;
      if (o.deliveredAt !== null && (!lastSuccess || o.deliveredAt > lastSuccess.at)) lastSuccess = { at: o.deliveredAt, uid: d.uid };
    }
    if (o.lastErrorClass && o.lastAttemptAt !== null) {
      const prev = lastErrorByClass[o.lastErrorClass];
      if (!prev || o.lastAttemptAt > prev.at) lastErrorByClass[o.lastErrorClass] = { at: o.lastAttemptAt, uid: d.uid, detail: o.lastError ?? '' };
    }
  }
  pending.sort((a, b) => a.queuedAt - b.queuedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const oldest = pending[0]?.queuedAt ?? null;
  return {
    at: now,
    endpoint,
    depth: pending.length,
    oldestPendingAt: oldest,
    oldestPendingAgeS: oldest === null ? null : Math.max(0, Math.round((now - oldest) / 1000)),
    deliveredInStore: delivered,
    lastSuccess,
    lastErrorByClass,
    refused: pending.filter(isRefused),
    pending,
    link,
  };
}

export { readSessionDocs } from '../store/session-file-reader.js';

function iso(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Plain text for `paypoint reports`. */
export function formatSnapshot(s: OutboxSnapshot, show: 'summary' | 'pending' | 'refused'): string {
  const lines: string[] = [];
  if (show === 'summary') {
    lines.push(`endpoint: ${s.endpoint ?? '(processing.url not set: reports wait in the outbox)'}`);
    lines.push(`pending: ${s.depth}`);
    lines.push(`oldest pending: ${s.oldestPendingAt === null ? '-' : `${iso(s.oldestPendingAt)} (${s.oldestPendingAgeS} s ago)`}`);
    lines.push(`refused (flagged): ${s.refused.length}`);
    lines.push(`delivered (kept in the live store): ${s.deliveredInStore}`);
    lines.push(`last success: ${s.lastSuccess ? `${iso(s.lastSuccess.at)} uid ${s.lastSuccess.uid}` : '-'}`);
    if (s.link) lines.push(`link: ${s.link.state}${s.link.cls ? ` (${s.link.cls}: ${s.link.detail}), retry by ${iso(s.link.retryAt)}` : ''}`);
    const classes = Object.keys(s.lastErrorByClass).sort();
    lines.push(`last error by class:${classes.length ? '' : ' -'}`);
    for (const c of classes) {
      const e = s.lastErrorByClass[c];
      lines.push(`  ${c}: ${iso(e.at)} uid ${e.uid}: ${e.detail}`);
    }
  }
  const list = show === 'pending' ? s.pending : show === 'refused' ? s.refused : [];
  if (show !== 'summary') {
    lines.push(`${show}: ${list.length}`);
    for (const p of list) {
      lines.push(
        `${p.uid}\tqueued ${iso(p.queuedAt)}\tattempts ${p.attempts}\trefusals ${p.refusals}\tnext ${iso(p.nextAttemptAt)}\t${p.lastErrorClass ?? '-'}${p.lastError ? `: ${p.lastError}` : ''}`,
      );
    }
  }
  return lines.join('\n') + '\n';
}
