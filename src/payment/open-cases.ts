/**
 * Money the unit could not settle by itself, and how a person settled it (pure: no I/O, no clock).
 *
 *   rest    a finished session whose change or refund could not all be paid out (contract 3,
 *           rest_amount): owed to the customer;
 *   credit  money taken while no session could take it, not all given back (kept as unattributed);
 *   card    a card operation whose outcome the terminal can no longer tell (VTK 1.12 section 3.3: the
 *           terminal has moved past its operation number).
 *
 * A settlement is a separate record appended next to these (never an edit of the session or of the card
 * journal): the original record stays as it was, and what a person said about it is kept beside it.
 * The first settlement of a case counts; a case is settled once.
 */
import { ErrorCode, PayPointError } from '../errors.js';

export type CaseKind = 'rest' | 'credit' | 'card';
/** paid: a person gave the customer the money; refunded: the bank returned it; charged: the card charge stands. */
export type SettleHow = 'paid' | 'refunded' | 'charged';
export const SETTLE_HOWS: readonly SettleHow[] = ['paid', 'refunded', 'charged'];

/** What may settle each kind of case. */
export const HOWS_FOR: Record<CaseKind, readonly SettleHow[]> = {
  rest: ['paid', 'refunded'],
  credit: ['paid', 'refunded'],
  // charged: the customer paid by card after all (the session becomes paid); refunded: nothing stays charged.
  card: ['charged', 'refunded'],
};

export interface OpenCase {
  /** `rest:<session id>`, `credit:<credit id>`, `card:<operation id>`: stable, typed on the command line. */
  id: string;
  kind: CaseKind;
  /** The 1C uid of the session, when there is one. */
  uid: string | null;
  /** Wall-clock ms when the case arose. */
  at: number;
  /** Kopecks owed (rest, credit) or in question (card). */
  amount: number;
  detail: string;
}

export interface Settlement {
  _id: string;
  kind: 'settlement';
  caseId: string;
  how: SettleHow;
  /** The case's amount when it was settled (kopecks). */
  amount: number;
  at: number;
  /** Who settled it (login or name given). */
  by: string;
  note: string;
}

/** The parts of records this module reads (sessions, unattributed credits, the card journal). */
export interface SessionLike {
  _id: string;
  uid: string;
  state: string;
  createdAt: number;
  finishedAt: number | null;
  payout: { purpose: 'change' | 'refund'; rest: number } | null;
}
export interface CreditLike {
  _id: string;
  source: string;
  value: number;
  rest: number;
  at: number;
  reason: string;
  done: boolean;
}
export interface CardOpLike {
  opId: string;
  opNumber: number;
  amount: number;
  state: string;
  result?: string;
  /** The terminal moved past it while a session waited (journaled by the card driver). */
  unlearnable?: boolean;
  at: number;
}

export interface CaseInputs {
  sessions: SessionLike[];
  unattributed: CreditLike[];
  cardOps: CardOpLike[];
  settlements: Settlement[];
}

export interface CaseList {
  open: OpenCase[];
  settled: Array<OpenCase & { settlement: Settlement }>;
}

/** Whether a card operation's outcome is one nobody can learn any more (settled by a person). */
export function cardOutcomeUnknown(op: CardOpLike): boolean {
  // Settled by hand keeps the flag: the case stays listed, as settled.
  return op.result === 'unresolvable' || op.unlearnable === true;
}

/** The engine names card operations `<session id>-c<n>` (services/payment). */
function sessionIdOfOp(opId: string): string | null {
  const i = opId.lastIndexOf('-c');
  return i > 0 ? opId.slice(0, i) : null;
}

export function allCases(i: Pick<CaseInputs, 'sessions' | 'unattributed' | 'cardOps'>): OpenCase[] {
  const out: OpenCase[] = [];
  const byId = new Map(i.sessions.map((s) => [s._id, s]));
  for (const s of i.sessions) {
    const rest = s.payout?.rest ?? 0;
    if ((s.state === 'paid' || s.state === 'cancelled') && rest > 0) {
      out.push({ id: `rest:${s._id}`, kind: 'rest', uid: s.uid, at: s.finishedAt ?? s.createdAt, amount: rest, detail: s.payout!.purpose === 'change' ? 'change not paid out' : 'refund not paid out' });
    }
  }
  for (const u of i.unattributed) {
    // A card approval kept as unattributed is money the customer was charged for nothing; coins and bills
    // not given back are owed in cash.
    if (u.done && u.rest > 0) out.push({ id: `credit:${u._id}`, kind: 'credit', uid: null, at: u.at, amount: u.rest, detail: `${u.source}: ${u.reason}` });
  }
  for (const op of i.cardOps) {
    if (!cardOutcomeUnknown(op)) continue;
    const sid = sessionIdOfOp(op.opId);
    out.push({ id: `card:${op.opId}`, kind: 'card', uid: (sid && byId.get(sid)?.uid) ?? null, at: op.at, amount: op.amount, detail: `card operation ${op.opNumber}: outcome unknown` });
  }
  return out.sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : 1));
}

/** The first settlement of each case (a later one for the same case is never written, see checkSettle). */
function firstSettlements(settlements: Settlement[]): Map<string, Settlement> {
  const m = new Map<string, Settlement>();
  for (const s of settlements) if (!m.has(s.caseId)) m.set(s.caseId, s);
  return m;
}

export function caseList(i: CaseInputs): CaseList {
  const done = firstSettlements(i.settlements);
  const open: OpenCase[] = [];
  const settled: CaseList['settled'] = [];
  for (const c of allCases(i)) {
    const s = done.get(c.id);
    if (s) settled.push({ ...c, settlement: s });
    else open.push(c);
  }
  return { open, settled };
}

export interface SettleRequest {
  caseId: string;
  how: string;
  by: string;
  note?: string;
}

const BY_RE = /^[\p{L}\p{N} ._@-]{1,64}$/u;

/**
 * The settlement record for `req`, or the numbered error that refuses it (nothing is written then).
 * `id` and `now` come from the caller (no clock here).
 */
export function makeSettlement(i: CaseInputs, req: SettleRequest, id: string, now: number): Settlement {
  if (!BY_RE.test(req.by)) throw new PayPointError(ErrorCode.SettleBadInput, 'who settled it: 1-64 letters, digits, spaces, . _ @ -', { field: 'by' });
  const note = req.note ?? '';
  if (note.length > 200 || /[\u0000-\u001f]/.test(note)) throw new PayPointError(ErrorCode.SettleBadInput, 'note: at most 200 characters, no control characters', { field: 'note' });
  if (!(SETTLE_HOWS as readonly string[]).includes(req.how)) throw new PayPointError(ErrorCode.SettleWrongHow, `how: one of ${SETTLE_HOWS.join(', ')}`, { how: req.how, hows: [...SETTLE_HOWS] });
  const c = allCases(i).find((x) => x.id === req.caseId);
  if (!c) throw new PayPointError(ErrorCode.SettleNoSuchCase, `no case ${req.caseId}`, { caseId: req.caseId });
  const prior = firstSettlements(i.settlements).get(c.id);
  if (prior) throw new PayPointError(ErrorCode.SettleAlreadySettled, `case ${c.id} was settled (${prior.how}) by ${prior.by}`, { caseId: c.id, how: prior.how, by: prior.by });
  const how = req.how as SettleHow;
  if (!HOWS_FOR[c.kind].includes(how)) throw new PayPointError(ErrorCode.SettleWrongHow, `a ${c.kind} case is settled as ${HOWS_FOR[c.kind].join(' or ')}`, { caseId: c.id, how, hows: [...HOWS_FOR[c.kind]] });
  return { _id: id, kind: 'settlement', caseId: c.id, how, amount: c.amount, at: now, by: req.by, note };
}
