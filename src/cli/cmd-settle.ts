/**
 * `paypoint settle`: what the unit owes customers (change or refunds it could not pay out, money taken
 * outside a session) and card outcomes it can never learn, and, with CASE HOW, how a person settled
 * one (payment/open-cases.ts). Works with the daemon running or stopped: the lists are read from the
 * data directory's files, the settlement is appended to the ledger (fsync'd) under its own lock
 * (services/store/settlement-ledger.ts); the running daemon hands a card settlement to the card module.
 * A refusal (numbered error) writes nothing.
 */
import { randomUUID } from 'node:crypto';
import { HOWS_FOR, caseList, makeSettlement, type OpenCase, type Settlement, type SettleHow } from '../payment/open-cases.js';
import { ErrorCode, isPayPointError } from '../errors.js';
import { readCaseInputs } from '../services/store/case-files.js';
import { appendSettlement } from '../services/store/settlement-ledger.js';
import { rub, type MessageKey } from './messages.js';
import { CliFailure, effectiveConfig, requireDataDir, t, UsageError, type CliContext, type ConfigFlags } from './context.js';

export interface SettleFlags extends ConfigFlags {
  by?: string;
  note?: string;
  all?: boolean;
  json?: boolean;
}

const when = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19) + 'Z';

function caseLine(ctx: CliContext, c: OpenCase): string {
  return `${c.id}\t${when(c.at)}\t${c.uid ?? '-'}\t${rub(c.amount)}\t${t(ctx, `settle.kind.${c.kind}` as MessageKey)}\t${c.detail}\t[${HOWS_FOR[c.kind].join('|')}]`;
}

export async function settleCmd(ctx: CliContext, caseId: string | undefined, how: string | undefined, o: SettleFlags): Promise<number> {
  if ((caseId === undefined) !== (how === undefined)) throw new UsageError(t(ctx, 'settle.need-both'));
  const cfg = await effectiveConfig(ctx, o);
  const dir = cfg.storage.data_dir;
  requireDataDir(ctx, dir);
  if (caseId === undefined) return list(ctx, dir, o);
  if (o.by === undefined) throw new UsageError(t(ctx, 'settle.need-by'));
  let rec: Settlement;
  try {
    const inputs = await readCaseInputs(dir);
    rec = await appendSettlement(dir, (settlements) =>
      makeSettlement({ ...inputs, settlements }, { caseId, how: how!, by: o.by!, note: o.note }, `st-${Date.now().toString(36)}-${randomUUID().slice(0, 8)}`, Date.now()),
    );
  } catch (e) {
    throw refusal(ctx, e, caseId);
  }
  if (o.json) process.stdout.write(JSON.stringify(rec) + '\n');
  else ctx.out(t(ctx, 'settle.recorded', { id: rec.caseId, how: t(ctx, `settle.how.${rec.how}` as MessageKey), amount: rub(rec.amount), by: rec.by }));
  return 0;
}

async function list(ctx: CliContext, dir: string, o: SettleFlags): Promise<number> {
  const inputs = await readCaseInputs(dir);
  const l = caseList(inputs);
  const late = inputs.cardOps.filter((r) => r.result === 'late-reversed');
  if (o.json) {
    process.stdout.write(JSON.stringify({ open: l.open, settled: l.settled, lateReversed: late.map((r) => ({ opId: r.opId, opNumber: r.opNumber, amount: r.lateAmount ?? r.amount, at: r.at, ref: r.ref ?? null })) }) + '\n');
    return 0;
  }
  ctx.out(t(ctx, 'settle.open', { n: l.open.length }));
  for (const c of l.open) ctx.out(`  ${caseLine(ctx, c)}`);
  if (l.open.length) ctx.out(t(ctx, 'settle.hint'));
  if (o.all) {
    ctx.out(t(ctx, 'settle.settled-head', { n: l.settled.length }));
    for (const c of l.settled) ctx.out(`  ${c.id}\t${when(c.settlement.at)}\t${c.uid ?? '-'}\t${rub(c.amount)}\t${t(ctx, `settle.how.${c.settlement.how}` as MessageKey)}\t${c.settlement.by}${c.settlement.note ? `\t${c.settlement.note}` : ''}`);
    ctx.out(t(ctx, 'settle.late-head', { n: late.length }));
    for (const r of late) ctx.out(`  card:${r.opId}\t${when(r.at)}\t${r.opNumber}\t${rub(r.lateAmount ?? r.amount)}\t${r.ref ?? '-'}`);
  } else if (late.length) {
    ctx.out(t(ctx, 'settle.late-head', { n: late.length }));
  }
  return 0;
}

/** The refusal in the message language, its number kept ("error NNN:", exit 1). */
function refusal(ctx: CliContext, e: unknown, id: string): unknown {
  if (!isPayPointError(e)) return e;
  const c = e.context as { how?: SettleHow; by?: string; hows?: string[]; field?: string };
  let m: string;
  switch (e.code) {
    case ErrorCode.SettleNoSuchCase:
      m = t(ctx, 'settle.err.311', { id });
      break;
    case ErrorCode.SettleAlreadySettled:
      m = t(ctx, 'settle.err.312', { id, how: t(ctx, `settle.how.${c.how}` as MessageKey), by: c.by ?? '' });
      break;
    case ErrorCode.SettleWrongHow:
      m = t(ctx, 'settle.err.313', { id, hows: (c.hows ?? []).join('|') });
      break;
    case ErrorCode.SettleBadInput:
      m = t(ctx, 'settle.err.314', { field: `--${c.field}`, why: e.message.replace(/^[^:]*: /, '') });
      break;
    default:
      return e;
  }
  return new CliFailure(t(ctx, 'err.code', { code: e.code, m }));
}
