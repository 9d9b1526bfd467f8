/**
 * Export of the session journal and report status as CSV for a date range (docs/appliance.md), for a
 * stick that carries `paypoint-export.txt`. Reads the data directory without the daemon: the live
 * store file (nedb: one JSON document per line, the last line per _id wins, `$$deleted` removes) and
 * the daily journal (store/journal.ts). Read-only; the daemon may keep running.
 *
 * Format: UTF-8 with a BOM, `;` between fields and CRLF line ends, which is what Excel in a Russian
 * locale opens directly; RFC 4180 quoting; a cell that starts with = + - @ is prefixed with ' so a
 * spreadsheet never runs it as a formula (a uid or an item name comes from outside). Dates and times
 * are UTC (ISO 8601); days are UTC days, as in the journal. Money in kopecks.
 */
import { readSessionDocs } from '../store/session-file-reader.js';
import { join } from 'node:path';
import type { StoredSession } from '../store/session-store.js';
import { Journal, journalDay } from '../store/journal.js';
import { readUnsyncedIds } from '../clock/clock-flags.js';

export const EXPORT_REQUEST_FILE = 'paypoint-export.txt';

export interface ExportRange {
  from: string;
  to: string;
}

/** `YYYY-MM-DD YYYY-MM-DD` (or one date: that day only); empty: the last 31 days up to `today`. */
export function parseExportRequest(text: string, today: string): ExportRange | string {
  const words = text.replace(/^\uFEFF/, '').replace(/#.*$/gm, '').trim().split(/[\s;,]+/).filter(Boolean);
  const day = /^\d{4}-\d{2}-\d{2}$/;
  const valid = (d: string) => day.test(d) && !Number.isNaN(Date.parse(d + 'T00:00:00Z')) && new Date(d + 'T00:00:00Z').toISOString().startsWith(d);
  if (words.length === 0) return { from: journalDay(Date.parse(today + 'T00:00:00Z') - 30 * 86_400_000), to: today };
  if (words.length > 2 || !words.every(valid)) return `${EXPORT_REQUEST_FILE}: expected "YYYY-MM-DD YYYY-MM-DD" (from, to)`;
  const [from, to = from] = words;
  if (from > to) return `${EXPORT_REQUEST_FILE}: the first date is after the second`;
  return { from, to };
}

/** The live sessions for the export; an unreadable datafile exports what the journal holds. */
export function readLiveSessions(dataDir: string): StoredSession[] {
  try {
    return readSessionDocs(dataDir);
  } catch {
    return [];
  }
}

const COLUMNS = [
  'session_id', 'uid', 'state', 'created_at', 'finished_at', 'amount', 'pay_amount', 'charge_amount', 'rest_amount', 'pay_type',
  'order_items', 'order_total', 'cancel_reason', 'report_state', 'report_time', 'report_attempts', 'report_refusals',
  'report_last_error', 'report_delivered_at', 'clock_synced',
];

export function cell(v: unknown): string {
  let s = v === null || v === undefined ? '' : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[;"\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const iso = (ms: number | null | undefined) => (typeof ms === 'number' ? new Date(ms).toISOString() : '');

export async function exportCsv(dataDir: string, range: ExportRange): Promise<{ csv: string; count: number }> {
  const byId = new Map<string, StoredSession>();
  const journal = new Journal(join(dataDir, 'journal'));
  for (const day of await journal.days()) {
    // A session is journaled on its finish day; it may have been created the day before.
    if (day < range.from || day > nextDay(range.to)) continue;
    for (const d of await journal.read<StoredSession>(day)) if ((d as { kind?: string }).kind === 'session') byId.set(d._id, d);
  }
  for (const s of readLiveSessions(dataDir)) byId.set(s._id, s);
  const unsynced = readUnsyncedIds(dataDir);
  const rows = [...byId.values()]
    .filter((s) => {
      const day = journalDay(s.createdAt);
      return day >= range.from && day <= range.to;
    })
    .sort((a, b) => a.createdAt - b.createdAt);
  const lines = [COLUMNS.join(';')];
  for (const s of rows) {
    const o = s.outbox;
    lines.push(
      [
        s._id, s.uid, s.state, iso(s.createdAt), iso(s.finishedAt), s.amount, s.credited,
        s.payout?.purpose === 'change' ? s.payout.due : 0, s.payout?.rest ?? 0, s.payType ?? '',
        s.order.length, s.orderTotal, s.cancelReason ?? '', o ? o.state : 'none', s.report?.time ?? '',
        o?.attempts ?? '', o?.refusals ?? '', o?.lastError ?? '', iso(o?.deliveredAt), unsynced.has(s._id) ? 'no' : 'yes',
      ]
        .map(cell)
        .join(';'),
    );
  }
  return { csv: '\uFEFF' + lines.join('\r\n') + '\r\n', count: rows.length };
}

function nextDay(d: string): string {
  return journalDay(Date.parse(d + 'T00:00:00Z') + 86_400_000);
}
