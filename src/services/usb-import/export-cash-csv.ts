/**
 * Export of the cash operations (collections, refills, opening counts: docs/design.md, "Cash inventory")
 * beside the session export (export-csv.ts), same format: UTF-8 with a BOM, `;`, CRLF, formula cells
 * neutralised, UTC times, money in kopecks. One line per denomination of each operation, so a spreadsheet
 * sums them: place (cassette, box, hoppers), counted, declared, difference, added, and the inventory
 * after the operation. Read from the live datafile and the journal without the daemon.
 */
import { join } from 'node:path';
import { addCounts, type Counts } from '../../payment/cash-inventory.js';
import { Journal } from '../store/journal.js';
import { readDatafile } from '../store/session-file-reader.js';
import type { CashRecord } from '../store/session-store.js';
import { cell, type ExportRange } from './export-csv.js';

const COLUMNS = ['record_id', 'op', 'time', 'by', 'note', 'place', 'value', 'counted', 'declared', 'difference', 'added', 'after'];

function liveCash(dataDir: string): CashRecord[] {
  try {
    return readDatafile(dataDir).cash;
  } catch {
    return [];
  }
}

export async function exportCashCsv(dataDir: string, range: ExportRange): Promise<{ csv: string; count: number }> {
  const byId = new Map<string, CashRecord>();
  const journal = new Journal(join(dataDir, 'journal'));
  for (const day of await journal.days()) {
    if (day < range.from || day > range.to) continue;
    for (const d of await journal.read<CashRecord>(day)) if (d.kind === 'cash') byId.set(d._id, d);
  }
  for (const r of liveCash(dataDir)) byId.set(r._id, r);
  const records = [...byId.values()]
    .filter((r) => {
      const day = new Date(r.at).toISOString().slice(0, 10);
      return day >= range.from && day <= range.to;
    })
    .sort((a, b) => a.ledger.seq - b.ledger.seq);
  const lines = [COLUMNS.join(';')];
  for (const r of records) {
    const head = [r._id, r.op, new Date(r.at).toISOString(), r.by, r.note];
    const after = r.ledger.inventory;
    const row = (place: string, value: string, counted: number | '', declared: number | '', difference: number | '', added: number | '', inside: number) =>
      lines.push([...head, place, value, counted, declared, difference, added, inside].map(cell).join(';'));
    if (r.collection) {
      const c = r.collection;
      const counted: Counts = addCounts(c.counted.cassette, c.counted.box);
      const values = new Set([...Object.keys(counted), ...Object.keys(c.declared)]);
      for (const v of [...values].sort((a, b) => Number(b) - Number(a))) {
        const place = v in c.counted.cassette ? 'cassette' : v in c.counted.box ? 'box' : '';
        row(place, v, counted[v] ?? 0, c.declared[v] ?? 0, c.difference[v] ?? 0, '', (after.cassette[v] ?? 0) + (after.box[v] ?? 0));
      }
    } else {
      for (const [v, n] of Object.entries(r.added ?? {}).sort((a, b) => Number(b[0]) - Number(a[0]))) row('hoppers', v, '', '', '', n, after.hoppers[v] ?? 0);
    }
  }
  return { csv: '\uFEFF' + lines.join('\r\n') + '\r\n', count: records.length };
}
