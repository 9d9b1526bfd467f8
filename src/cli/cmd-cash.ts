/**
 * `paypoint cash`: the cash inside the unit per denomination (docs/design.md, "Cash inventory"), read from
 * the datafile without the daemon (store/session-file-reader.ts: safe while it runs). `paypoint cash
 * collect` and `paypoint cash refill` ask the running daemon to record a collection or a refill (the
 * status port's POST /api/cash/..., with the admin secret or the status login): only the daemon writes
 * the store, in one durable write with the inventory after it.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { ErrorCode, PayPointError } from '../errors.js';
import { addCounts, countsTotal, type CashInventory, type Counts } from '../payment/cash-inventory.js';
import type { CashRecord } from '../services/store/session-store.js';
import { readDatafile } from '../services/store/session-file-reader.js';
import { effectiveConfig, requireDataDir, t, UsageError, type CliContext, type ConfigFlags } from './context.js';
import { rub } from './messages.js';

export interface CashFlags extends ConfigFlags {
  json?: boolean;
  note?: string;
  asCounted?: boolean;
  url?: string;
  secretFile?: string;
  login?: string;
  password?: string;
}

/** `VALUE=COUNT` pairs, values in kopecks (as `paypoint hw levels`): 5000=3 is three 50-rouble bills. */
export function parseCountArgs(args: string[]): Counts | string {
  const out: Counts = {};
  for (const a of args) {
    const m = /^([1-9]\d{0,9})=(\d{1,7})$/.exec(a);
    if (!m) return a;
    out[m[1]] = (out[m[1]] ?? 0) + Number(m[2]);
  }
  return out;
}

function rows(ctx: CliContext, c: Counts): string[] {
  return Object.entries(c)
    .sort((a, b) => Number(b[0]) - Number(a[0]))
    .map(([v, n]) => t(ctx, 'cash.row', { value: rub(Number(v)), n, sum: rub(Number(v) * n) }));
}

function printInventory(ctx: CliContext, inv: CashInventory, capacity: number | null): void {
  const bills = Object.values(inv.cassette).reduce((s, n) => s + n, 0);
  const level = capacity === null ? 'unknown' : bills >= capacity ? 'full' : bills >= Math.floor(capacity * 0.9) ? 'nearly-full' : 'ok';
  ctx.out(t(ctx, 'cash.cassette', { n: bills, sum: rub(countsTotal(inv.cassette)), cap: capacity ?? '?', level: t(ctx, `cash.level.${level}` as 'cash.level.ok') }));
  for (const r of rows(ctx, inv.cassette)) ctx.out(r);
  ctx.out(t(ctx, 'cash.box', { sum: rub(countsTotal(inv.box)) }));
  for (const r of rows(ctx, inv.box)) ctx.out(r);
  ctx.out(t(ctx, 'cash.hoppers', { sum: rub(countsTotal(inv.hoppers)) }));
  for (const r of rows(ctx, inv.hoppers)) ctx.out(r);
}

function printRecord(ctx: CliContext, r: Pick<CashRecord, 'op' | 'at' | 'by' | 'collection' | 'added' | 'note'>): void {
  const when = new Date(r.at).toISOString();
  if (r.op === 'collection' && r.collection) {
    const c = r.collection;
    const counted = addCounts(c.counted.cassette, c.counted.box);
    ctx.out(t(ctx, 'cash.rec.collection', { at: when, by: r.by, counted: rub(countsTotal(counted)), declared: rub(countsTotal(c.declared)), diff: rub(countsTotal(c.difference)) }));
    for (const [v, n] of Object.entries(c.difference)) ctx.out(t(ctx, 'cash.rec.diff', { value: rub(Number(v)), n: n > 0 ? `+${n}` : String(n) }));
  } else {
    ctx.out(t(ctx, r.op === 'opening' ? 'cash.rec.opening' : 'cash.rec.refill', { at: when, by: r.by, sum: rub(countsTotal(r.added ?? {})) }));
    for (const row of rows(ctx, r.added ?? {})) ctx.out(row);
  }
  if (r.note) ctx.out(t(ctx, 'cash.rec.note', { note: r.note }));
}

export async function cashShow(ctx: CliContext, o: CashFlags): Promise<number> {
  const cfg = await effectiveConfig(ctx, o);
  requireDataDir(ctx, cfg.storage.data_dir);
  const snap = readDatafile(cfg.storage.data_dir);
  const { cassetteCapacity } = await import('../device-assembly.js');
  const { silentLogger } = await import('../services/log.js');
  const capacity = await cassetteCapacity(cfg, silentLogger());
  if (o.json) {
    process.stdout.write(JSON.stringify({ seq: snap.ledger.seq, inventory: snap.ledger.inventory, cassetteCapacity: capacity, records: snap.cash }) + '\n');
    return 0;
  }
  printInventory(ctx, snap.ledger.inventory, capacity);
  const last = snap.cash.slice(-5).reverse();
  if (last.length) ctx.out(t(ctx, 'cash.recent'));
  for (const r of last) printRecord(ctx, r);
  return 0;
}

function post(url: URL, body: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)), ...headers }, timeout: 15_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error('no answer in 15 s')));
    req.on('error', reject);
    req.end(body);
  });
}

export async function cashAction(ctx: CliContext, action: 'collect' | 'refill', args: string[], o: CashFlags): Promise<number> {
  const cfg = await effectiveConfig(ctx, o);
  const parsed = parseCountArgs(args);
  if (typeof parsed === 'string') throw new UsageError(t(ctx, 'cash.err.pair', { a: parsed }));
  let counts = parsed;
  if (action === 'collect' && o.asCounted) {
    if (args.length) throw new UsageError(t(ctx, 'cash.err.as-counted'));
    const inv = readDatafile(cfg.storage.data_dir).ledger.inventory;
    counts = addCounts(inv.cassette, inv.box);
  } else if (args.length === 0) {
    throw new UsageError(t(ctx, action === 'collect' ? 'cash.err.collect-empty' : 'cash.err.refill-empty'));
  }
  const headers: Record<string, string> = {};
  const password = o.password ?? process.env.PAYPOINT_PASSWORD;
  if (o.login) {
    if (!password) throw new UsageError(t(ctx, 'cash.err.password'));
    headers.Authorization = 'Basic ' + Buffer.from(`${o.login}:${password}`).toString('base64');
  } else {
    const secret = o.secretFile ? readFileSync(o.secretFile, 'utf8').replace(/^\uFEFF/, '').replace(/\r?\n$/, '').trim() : process.env.PAYPOINT_ADMIN_SECRET;
    if (!secret) throw new UsageError(t(ctx, 'cash.err.secret'));
    headers['X-PayPoint-Admin-Secret'] = secret;
  }
  const base = o.url ?? `http://127.0.0.1:${cfg.status.port}/`;
  let url: URL;
  try {
    url = new URL(`api/cash/${action}`, base.endsWith('/') ? base : base + '/');
  } catch {
    throw new UsageError(t(ctx, 'cash.err.url', { url: base }));
  }
  const body = JSON.stringify(action === 'collect' ? { declared: counts, ...(o.note ? { note: o.note } : {}) } : { added: counts, ...(o.note ? { note: o.note } : {}) });
  let answer: { status: number; body: string };
  try {
    answer = await post(url, body, headers);
  } catch (e) {
    throw new PayPointError(ErrorCode.StatusServer, t(ctx, 'cash.err.unreachable', { url: url.origin, why: (e as Error).message }));
  }
  let parsedAnswer: { record?: CashRecord; error?: { code: number; message: string } };
  try {
    parsedAnswer = JSON.parse(answer.body) as typeof parsedAnswer;
  } catch {
    throw new PayPointError(ErrorCode.StatusServer, `HTTP ${answer.status}: ${answer.body.slice(0, 200)}`);
  }
  if (answer.status !== 200 || !parsedAnswer.record) {
    const err = parsedAnswer.error ?? { code: ErrorCode.StatusServer, message: `HTTP ${answer.status}` };
    throw new PayPointError(err.code as ErrorCode, err.message);
  }
  const rec = parsedAnswer.record;
  printRecord(ctx, rec);
  ctx.out(t(ctx, 'cash.now'));
  printInventory(ctx, rec.ledger.inventory, null);
  return 0;
}
