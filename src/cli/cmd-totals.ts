/**
 * `paypoint totals [--day YYYY-MM-DD | --since-collection]`: the figures of payment/daily-totals.ts read
 * from the data directory's files (daemon running or stopped; see services/store/case-files.ts). Exit 1
 * when the cash inside does not add up, so a script can watch for it.
 */
import { dayTotals, sinceCollectionTotals, type Totals } from '../payment/daily-totals.js';
import { readCaseInputs } from '../services/store/case-files.js';
import { rub } from './messages.js';
import { effectiveConfig, requireDataDir, t, UsageError, type CliContext, type ConfigFlags } from './context.js';

export interface TotalsFlags extends ConfigFlags {
  day?: string;
  sinceCollection?: boolean;
  json?: boolean;
}

/** Local midnight of YYYY-MM-DD and of the next day, or null when it is not a real date. */
export function localDay(s: string): [number, number] | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]) - 1, Number(m[3])];
  const from = new Date(y, mo, d);
  if (from.getFullYear() !== y || from.getMonth() !== mo || from.getDate() !== d) return null;
  return [from.getTime(), new Date(y, mo, d + 1).getTime()];
}

function today(now: number): string {
  const d = new Date(now);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

export async function totalsCmd(ctx: CliContext, o: TotalsFlags): Promise<number> {
  if (o.day !== undefined && o.sinceCollection) throw new UsageError(t(ctx, 'totals.err.both'));
  const now = Date.now();
  const day = o.day ?? today(now);
  const range = localDay(day);
  if (!range) throw new UsageError(t(ctx, 'totals.err.day', { v: day }));
  const cfg = await effectiveConfig(ctx, o);
  requireDataDir(ctx, cfg.storage.data_dir);
  const records = await readCaseInputs(cfg.storage.data_dir);
  const tot = o.sinceCollection ? sinceCollectionTotals(records, now) : dayTotals(records, range[0], range[1]);
  if (o.json) process.stdout.write(JSON.stringify(tot) + '\n');
  else for (const l of formatTotals(ctx, tot, day)) ctx.out(l);
  return tot.addsUp ? 0 : 1;
}

export function formatTotals(ctx: CliContext, tot: Totals, day: string): string[] {
  const out: string[] = [];
  if (tot.period.kind === 'day') out.push(t(ctx, 'totals.head.day', { day }));
  else if (tot.period.from === null) out.push(t(ctx, 'totals.head.since-none'));
  else out.push(t(ctx, 'totals.head.since', { at: new Date(tot.period.from).toLocaleString(ctx.lang === 'ru' ? 'ru-RU' : 'en-GB') }));
  out.push(t(ctx, 'totals.paid-cash', { n: tot.paid.cash.count, sum: rub(tot.paid.cash.sum) }));
  out.push(t(ctx, 'totals.paid-card', { n: tot.paid.card.count, sum: rub(tot.paid.card.sum) }));
  out.push(t(ctx, 'totals.change', { sum: rub(tot.change.given) }));
  out.push(t(ctx, 'totals.rest', { n: tot.rest.sessions, sum: rub(tot.rest.owed), settled: rub(tot.rest.settled) }));
  out.push(t(ctx, 'totals.cancelled', { n: tot.cancelled.count, cash: tot.cancelled.withCash, sum: rub(tot.cancelled.refunded) }));
  const u = tot.unattributed;
  out.push(t(ctx, 'totals.unattributed', { n: u.count, sum: rub(u.sum), back: rub(u.paidBack), rest: rub(u.rest) }));
  const c = tot.collections;
  out.push(t(ctx, 'totals.collections', { n: c.count, counted: rub(c.counted), declared: rub(c.declared), diff: rub(c.difference) }));
  out.push(t(ctx, 'totals.refills', { n: tot.refills.count, sum: rub(tot.refills.sum) }));
  out.push(t(ctx, 'totals.table'));
  for (const l of tot.denominations) {
    out.push([rub(l.value), l.opening, l.taken, l.refilled, l.change, l.refunds, l.collected, l.expected, l.inside, l.difference === 0 ? '0' : `${l.difference} !`].join('\t'));
  }
  const ci = tot.cashInside;
  out.push(tot.addsUp ? t(ctx, 'totals.adds-up', { expected: rub(ci.expected), inside: rub(ci.inside) }) : t(ctx, 'totals.no-add-up', { expected: rub(ci.expected), inside: rub(ci.inside), diff: rub(ci.difference) }));
  return out;
}
