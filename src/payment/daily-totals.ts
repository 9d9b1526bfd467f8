/**
 * Totals for a day, or since the last collection, over the stored records (pure: no I/O, no clock):
 * paid sessions by cash and by card, change given, rest amounts owed (and settled), cancelled sessions
 * and their refunds, unattributed credits, collections and refills, and per denomination the cash that
 * must be inside:
 *
 *     opening + taken + refilled - change - refunds - collected = inside
 *
 * where "opening" and "inside" are the inventory counters the store keeps in the same writes as the
 * records (payment/cash-inventory.ts: the ledger stamps) at the start and the end of the period, and the
 * other columns are what the records themselves say they moved (credits, coins paid out, collections,
 * refills). A difference means the counters and the records disagree: the page shows it, never hides it.
 *
 * A record belongs to a period by its time: a session by its finish (by its last change while it is
 * open; a session across midnight counts on the day it finished), a credit, collection or refill by its
 * own time. Since the last collection: every record after that collection (collections are refused
 * while money moves, so no record spans one).
 */
import { addCounts, countsTotal, creditMoves, emptyInventory, type CashInventory, type Counts, type LedgerStamp } from './cash-inventory.js';
import type { Settlement } from './open-cases.js';

export interface TotalsSession {
  _id: string;
  state: string;
  amount: number;
  payType: 0 | 1 | null;
  credits: ReadonlyArray<{ source: string; value: number }>;
  payout: { purpose: 'change' | 'refund'; paid: number; rest: number; coins?: Counts } | null;
  finishedAt: number | null;
  updatedAt: number;
  ledger?: LedgerStamp;
}
export interface TotalsCredit {
  _id: string;
  source: string;
  value: number;
  refunded: number;
  rest: number;
  at: number;
  coins?: Counts;
  ledger?: LedgerStamp;
}
export interface TotalsCash {
  _id: string;
  op: 'collection' | 'refill' | 'opening';
  at: number;
  collection: { counted: { cassette: Counts; box: Counts }; declared: Counts; difference: Counts } | null;
  added: Counts | null;
  ledger: LedgerStamp;
}
export interface TotalsInputs {
  sessions: TotalsSession[];
  unattributed: TotalsCredit[];
  cash: TotalsCash[];
  settlements: Settlement[];
}

export interface DenominationLine {
  value: number;
  opening: number;
  taken: number;
  refilled: number;
  change: number;
  refunds: number;
  collected: number;
  /** opening + taken + refilled - change - refunds - collected */
  expected: number;
  /** The counters at the end of the period. */
  inside: number;
  /** inside - expected: 0 when the money adds up. */
  difference: number;
}

export interface Totals {
  period: { kind: 'day' | 'since-collection'; from: number | null; to: number; lastCollectionAt: number | null };
  paid: { cash: { count: number; sum: number }; card: { count: number; sum: number } };
  /** Coins given as change in paid sessions, and what was owed beyond what could be given. */
  change: { given: number };
  rest: { owed: number; sessions: number; settled: number };
  cancelled: { count: number; withCash: number; refunded: number };
  unattributed: { count: number; sum: number; paidBack: number; rest: number };
  collections: { count: number; counted: number; declared: number; difference: number };
  refills: { count: number; sum: number };
  denominations: DenominationLine[];
  /** Sums over all denominations (kopecks). */
  cashInside: { expected: number; inside: number; difference: number };
  addsUp: boolean;
}

function sessionTime(s: TotalsSession): number {
  return s.finishedAt ?? s.updatedAt;
}

/** Inventory counted per denomination over the three places. */
function perValue(inv: CashInventory): Counts {
  return addCounts(addCounts(inv.cassette, inv.box), inv.hoppers);
}

type Stamped = { ledger?: LedgerStamp; t: number };

function newest(list: Stamped[], pred: (d: Stamped) => boolean): LedgerStamp {
  let best: LedgerStamp = { seq: 0, inventory: emptyInventory() };
  for (const d of list) if (d.ledger && d.ledger.seq > best.seq && pred(d)) best = d.ledger;
  return best;
}

function stamped(i: TotalsInputs): Stamped[] {
  return [
    ...i.sessions.map((s) => ({ ledger: s.ledger, t: sessionTime(s) })),
    ...i.unattributed.map((u) => ({ ledger: u.ledger, t: u.at })),
    ...i.cash.map((c) => ({ ledger: c.ledger, t: c.at })),
  ];
}

/** Totals of the records whose time is in [from, to). */
export function dayTotals(i: TotalsInputs, from: number, to: number): Totals {
  const all = stamped(i);
  const opening = newest(all, (d) => d.t < from);
  const closing = newest(all, (d) => d.t < to);
  const inPeriod = (t: number) => t >= from && t < to;
  return compute(i, { kind: 'day', from, to, lastCollectionAt: lastCollection(i)?.at ?? null }, opening, closing, inPeriod, (_d, t) => inPeriod(t));
}

function lastCollection(i: TotalsInputs): TotalsCash | null {
  let best: TotalsCash | null = null;
  for (const c of i.cash) if (c.op === 'collection' && (!best || c.ledger.seq > best.ledger.seq)) best = c;
  return best;
}

/** Totals of every record after the last collection (all records when there was none), up to `now`. */
export function sinceCollectionTotals(i: TotalsInputs, now: number): Totals {
  const c = lastCollection(i);
  const opening = c ? c.ledger : { seq: 0, inventory: emptyInventory() };
  const closing = newest(stamped(i), () => true);
  // Records that moved money are placed by their ledger number (a collection is never in the middle of
  // one); records that moved none (a card payment) by their time.
  const after = (d: { ledger?: LedgerStamp }, t: number) => (d.ledger ? d.ledger.seq > opening.seq : c === null || t > c.at);
  return compute(i, { kind: 'since-collection', from: c?.at ?? null, to: now, lastCollectionAt: c?.at ?? null }, opening, closing, (t) => c === null || t > c.at, after);
}

function compute(
  i: TotalsInputs,
  period: Totals['period'],
  opening: LedgerStamp,
  closing: LedgerStamp,
  /** Whether a record counts in the figures (sessions, credits) of the period. */
  inTime: (t: number) => boolean,
  /** Whether what a record moved counts in the per-denomination identity. */
  inLedger: (d: { ledger?: LedgerStamp }, t: number) => boolean,
): Totals {
  const tot: Totals = {
    period,
    paid: { cash: { count: 0, sum: 0 }, card: { count: 0, sum: 0 } },
    change: { given: 0 },
    rest: { owed: 0, sessions: 0, settled: 0 },
    cancelled: { count: 0, withCash: 0, refunded: 0 },
    unattributed: { count: 0, sum: 0, paidBack: 0, rest: 0 },
    collections: { count: 0, counted: 0, declared: 0, difference: 0 },
    refills: { count: 0, sum: 0 },
    denominations: [],
    cashInside: { expected: 0, inside: 0, difference: 0 },
    addsUp: true,
  };
  let taken: Counts = {};
  let refilled: Counts = {};
  let change: Counts = {};
  let refunds: Counts = {};
  let collected: Counts = {};
  const settledCases = new Set(i.settlements.map((s) => s.caseId));

  for (const s of i.sessions) {
    const t = sessionTime(s);
    if (inLedger(s, t)) {
      const m = creditMoves(s.credits, s.payout?.coins);
      taken = addCounts(addCounts(taken, m.bills), m.coins);
      if (s.payout?.purpose === 'refund') refunds = addCounts(refunds, m.dispensed);
      else change = addCounts(change, m.dispensed);
    }
    if (!inTime(t) || (s.state !== 'paid' && s.state !== 'cancelled')) continue;
    const rest = s.payout?.rest ?? 0;
    if (rest > 0) {
      tot.rest.owed += rest;
      tot.rest.sessions += 1;
      if (settledCases.has(`rest:${s._id}`)) tot.rest.settled += rest;
    }
    if (s.state === 'paid') {
      const k = s.payType === 1 ? 'card' : 'cash';
      tot.paid[k].count += 1;
      tot.paid[k].sum += s.amount;
      if (s.payout?.purpose === 'change') tot.change.given += s.payout.paid;
    } else {
      tot.cancelled.count += 1;
      if (s.credits.some((c) => c.source !== 'card')) tot.cancelled.withCash += 1;
      if (s.payout?.purpose === 'refund') tot.cancelled.refunded += s.payout.paid;
    }
  }
  for (const u of i.unattributed) {
    if (inLedger(u, u.at)) {
      const m = creditMoves([{ source: u.source, value: u.value }], u.coins);
      taken = addCounts(addCounts(taken, m.bills), m.coins);
      refunds = addCounts(refunds, m.dispensed);
    }
    if (!inTime(u.at)) continue;
    tot.unattributed.count += 1;
    tot.unattributed.sum += u.value;
    tot.unattributed.paidBack += u.refunded;
    tot.unattributed.rest += u.rest;
  }
  for (const c of i.cash) {
    if (!inLedger(c, c.at)) continue;
    if (c.op === 'collection' && c.collection) {
      const counted = addCounts(c.collection.counted.cassette, c.collection.counted.box);
      collected = addCounts(collected, counted);
      tot.collections.count += 1;
      tot.collections.counted += countsTotal(counted);
      tot.collections.declared += countsTotal(c.collection.declared);
      tot.collections.difference += countsTotal(c.collection.difference);
    } else if (c.added) {
      refilled = addCounts(refilled, c.added);
      tot.refills.count += 1;
      tot.refills.sum += countsTotal(c.added);
    }
  }

  const open = perValue(opening.inventory);
  const inside = perValue(closing.inventory);
  const values = new Set<number>();
  for (const c of [open, inside, taken, refilled, change, refunds, collected]) for (const k of Object.keys(c)) values.add(Number(k));
  const n = (c: Counts, v: number) => c[String(v)] ?? 0;
  for (const v of [...values].sort((a, b) => a - b)) {
    const line: DenominationLine = {
      value: v,
      opening: n(open, v),
      taken: n(taken, v),
      refilled: n(refilled, v),
      change: n(change, v),
      refunds: n(refunds, v),
      collected: n(collected, v),
      expected: 0,
      inside: n(inside, v),
      difference: 0,
    };
    line.expected = line.opening + line.taken + line.refilled - line.change - line.refunds - line.collected;
    line.difference = line.inside - line.expected;
    tot.denominations.push(line);
    tot.cashInside.expected += v * line.expected;
    tot.cashInside.inside += v * line.inside;
    if (line.difference !== 0) tot.addsUp = false;
  }
  tot.cashInside.difference = tot.cashInside.inside - tot.cashInside.expected;
  return tot;
}
