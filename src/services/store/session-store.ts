/**
 * The live store of payment sessions and their outbox (contract 2 and 3). One nedb document per session;
 * the Register report and its delivery state live *in* the session document, so the write that finishes a
 * session also queues its report (the contract's transactional outbox).
 *
 * The live datastore stays small: sessions older than the uid memory whose report is delivered (or that
 * have none) move to the daily journal (journal.ts), so memory is bounded by one day of traffic plus the
 * undelivered reports.
 */
import { join } from 'node:path';
import type { Session } from '../../payment/session.js';
import { DurableDatastore } from './durable-datastore.js';
import type { TailRepair } from './torn-tail.js';
import { Journal, journalDay } from './journal.js';
import { ErrorCode, PayPointError } from '../../errors.js';
import {
  afterCollection,
  afterRefill,
  applyMoves,
  checkCounts,
  collectionFigures,
  creditMoves,
  emptyInventory,
  emptyMoves,
  movesDelta,
  movesEmpty,
  type CashInventory,
  type CashMoves,
  type CollectionFigures,
  type Counts,
  type LedgerStamp,
} from '../../payment/cash-inventory.js';

export type DeliveryState = 'pending' | 'delivered';

export interface OutboxState {
  state: DeliveryState;
  queuedAt: number;
  attempts: number;
  nextAttemptAt: number;
  /** Outcome class of the last failed attempt (see services/reports). */
  lastErrorClass: string | null;
  lastError: string | null;
  lastAttemptAt: number | null;
  /** Times the server answered `false` or refused (401/403/4xx/fault): flagged on the status page. */
  refusals: number;
  deliveredAt: number | null;
}

/** `ledger`: the cash inventory after this version (payment/cash-inventory.ts), written in the same write. */
export type StoredSession = Session & { kind: 'session'; outbox: OutboxState | null; ledger?: LedgerStamp };

/** Money taken while no session could take it (a coin after the session ended): never lost, kept here. */
export interface UnattributedCredit {
  _id: string;
  kind: 'unattributed';
  source: 'coin' | 'bill' | 'card';
  value: number;
  device: string;
  ref: string;
  at: number;
  reason: string;
  /** Paid back through the dispenser so far, and what could not be. */
  refunded: number;
  rest: number;
  done: boolean;
  /** Coins paid back so far by value: the hoppers' side of the cash inventory. */
  coins?: Counts;
  ledger?: LedgerStamp;
}

/**
 * A collection (cassette and box taken out), a refill (coins added to the hoppers) or an opening count
 * (the hoppers' contents when the inventory starts): one document each, kept for ever (moved to the
 * journal like sessions), carrying the inventory before and after it.
 */
export interface CashRecord {
  _id: string;
  kind: 'cash';
  op: 'collection' | 'refill' | 'opening';
  at: number;
  /** Who: `login:<name>` (the status page's login) or `admin-secret` (the command line). */
  by: string;
  note: string;
  /** Collections: counted, declared and their difference. */
  collection: CollectionFigures | null;
  /** Refills and openings: coins added to the hoppers by value. */
  added: Counts | null;
  before: CashInventory;
  ledger: LedgerStamp;
}

/** Holds the inventory when every document that carried the newest stamp left the live store (archive). */
export interface InventoryCheckpoint {
  _id: 'cash-inventory';
  kind: 'inventory';
  at: number;
  ledger: LedgerStamp;
}

type Doc = StoredSession | UnattributedCredit | CashRecord | InventoryCheckpoint;

export interface CashOpInput {
  at: number;
  by: string;
  note?: string;
}

/** What a session moved in total: its cash credits and the coins its payout paid. */
export function sessionMoves(s: Pick<Session, 'credits' | 'payout'> | null | undefined): CashMoves {
  return s ? creditMoves(s.credits, s.payout?.coins) : emptyMoves();
}

/** What an unattributed credit moved: the bill or coin taken, and the coins paid back. */
export function unattributedMoves(u: UnattributedCredit | null | undefined): CashMoves {
  return u ? creditMoves([{ source: u.source, value: u.value }], u.coins) : emptyMoves();
}

/** The newest ledger stamp among documents (the inventory now), or the empty inventory at seq 0. */
export function newestLedger(docs: Iterable<{ ledger?: LedgerStamp }>): LedgerStamp {
  let best: LedgerStamp = { seq: 0, inventory: emptyInventory() };
  for (const d of docs) if (d.ledger && d.ledger.seq > best.seq) best = d.ledger;
  return best;
}

export const ACTIVE_STATES = ['paying', 'dispensing', 'refunding'] as const;

export class SessionStore {
  readonly journal: Journal;

  private constructor(
    private readonly ds: DurableDatastore<Doc>,
    dataDir: string,
  ) {
    this.journal = new Journal(join(dataDir, 'journal'));
  }

  static async open(dataDir: string, onWrite?: (ok: boolean) => void): Promise<SessionStore> {
    const ds = await DurableDatastore.open<Doc>({ filename: join(dataDir, 'sessions.db'), onWrite });
    await ds.db.ensureIndex({ fieldName: 'uid', sparse: true });
    const store = new SessionStore(ds, dataDir);
    for (const d of (await ds.db.find({ kind: 'session' })) as StoredSession[]) store.remember(d);
    for (const u of (await ds.db.find({ kind: 'unattributed' })) as UnattributedCredit[]) store.credits.set(u._id, u);
    store.ledger = newestLedger((await ds.db.find({})) as Doc[]);
    return store;
  }

  /**
   * The cash inventory as last stored (the newest ledger stamp). Writes that move money go one at a
   * time through `money`, each computing its stamp from the one before, and the figure here advances
   * only after the write resolved (fsync'd).
   */
  private ledger: LedgerStamp = { seq: 0, inventory: emptyInventory() };
  private moneyQueue: Promise<unknown> = Promise.resolve();
  /** Unattributed credits as last stored (their previous version is needed for the inventory change). */
  private readonly credits = new Map<string, UnattributedCredit>();

  private money<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.moneyQueue.then(fn, fn);
    this.moneyQueue = run.catch(() => undefined);
    return run;
  }

  /** The stamp a new version of a document carries: a new one if it moved money, else its previous one. */
  private stampFor(next: CashMoves, prev: CashMoves, prevStamp: LedgerStamp | undefined): LedgerStamp | undefined {
    const delta = movesDelta(next, prev);
    if (movesEmpty(delta)) return prevStamp;
    return { seq: this.ledger.seq + 1, inventory: applyMoves(this.ledger.inventory, delta) };
  }

  private advance(stamp: LedgerStamp | undefined): void {
    if (stamp && stamp.seq > this.ledger.seq) this.ledger = stamp;
  }

  /** The cash inside the unit now, per denomination (as last stored). */
  inventory(): CashInventory {
    return structuredClone(this.ledger.inventory);
  }

  /** The newest ledger stamp (sequence number and inventory). */
  ledgerStamp(): LedgerStamp {
    return structuredClone(this.ledger);
  }

  /** Collections, refills and openings still in the live store, oldest first. */
  async cashRecords(): Promise<CashRecord[]> {
    return (await this.ds.db.find({ kind: 'cash' }).sort({ at: 1, 'ledger.seq': 1 })) as CashRecord[];
  }

  /** Why money cannot be counted now (a session or an unattributed refund is moving it), or null. */
  private busyWithMoney(): string | null {
    for (const d of this.live.values()) if ((ACTIVE_STATES as readonly string[]).includes(d.state)) return `payment session ${d.uid} is open (${d.state})`;
    for (const u of this.credits.values()) if (!u.done) return `an unattributed ${u.source} of ${u.value} is being paid back`;
    return null;
  }

  private async addCash(op: CashRecord['op'], input: CashOpInput, figures: CollectionFigures | null, added: Counts | null, after: CashInventory): Promise<CashRecord> {
    const rec: CashRecord = {
      _id: `cash-${input.at.toString(36)}-${(this.ledger.seq + 1).toString(36)}`,
      kind: 'cash',
      op,
      at: input.at,
      by: input.by,
      note: input.note ?? '',
      collection: figures,
      added,
      before: this.inventory(),
      ledger: { seq: this.ledger.seq + 1, inventory: after },
    };
    await this.ds.db.insert(rec);
    this.advance(rec.ledger);
    return rec;
  }

  /**
   * Records a collection: the cassette and the cash box were emptied. `declared` is what the operator
   * says they took (per denomination); the difference against what the unit counted is kept. Refused
   * (CashSessionOpen) while money is moving.
   */
  recordCollection(input: CashOpInput & { declared: Counts }): Promise<CashRecord> {
    return this.money(async () => {
      const bad = checkCounts(input.declared);
      if (bad) throw new PayPointError(ErrorCode.CashInvalidCounts, `collection: ${bad}`, { field: 'declared' });
      const busy = this.busyWithMoney();
      if (busy) throw new PayPointError(ErrorCode.CashSessionOpen, `collection refused: ${busy}`, {});
      const inv = this.ledger.inventory;
      return this.addCash('collection', input, collectionFigures(inv, input.declared), null, afterCollection(inv));
    });
  }

  /** Records coins added to the hoppers (`opening`: the first count of what they hold). */
  recordRefill(input: CashOpInput & { added: Counts; opening?: boolean; allowed?: number[] }): Promise<CashRecord> {
    return this.money(async () => {
      const bad = checkCounts(input.added, input.allowed);
      if (bad) throw new PayPointError(ErrorCode.CashInvalidCounts, `refill: ${bad}`, { field: 'added' });
      if (Object.values(input.added).every((n) => n === 0)) throw new PayPointError(ErrorCode.CashInvalidCounts, 'refill: no coins added', { field: 'added' });
      const busy = this.busyWithMoney();
      if (busy) throw new PayPointError(ErrorCode.CashSessionOpen, `refill refused: ${busy}`, {});
      return this.addCash(input.opening ? 'opening' : 'refill', input, null, { ...input.added }, afterRefill(this.ledger.inventory, input.added));
    });
  }

  /**
   * The live sessions by id and by uid, as last stored: PayPoll and the uid memory (contract 1) are
   * answered from here, without a query through nedb's queue (bench/README.md, "Where the time goes").
   * Updated only after a write resolved (fsync'd), so nothing unacknowledged is ever answered; documents
   * are replaced, never changed in place.
   */
  private readonly live = new Map<string, StoredSession>();
  private readonly uids = new Map<string, Set<string>>();

  private remember(d: StoredSession): void {
    this.live.set(d._id, d);
    let ids = this.uids.get(d.uid);
    if (!ids) this.uids.set(d.uid, (ids = new Set()));
    ids.add(d._id);
  }

  private forget(id: string): void {
    const d = this.live.get(id);
    if (!d) return;
    this.live.delete(id);
    const ids = this.uids.get(d.uid);
    ids?.delete(id);
    if (ids?.size === 0) this.uids.delete(d.uid);
  }

  private static toDoc(s: Session, outbox: OutboxState | null): StoredSession {
    return { ...s, kind: 'session', outbox };
  }

  /** Stores a new session; resolves after fsync. */
  async insert(s: Session): Promise<void> {
    return this.money(async () => {
      const doc = SessionStore.toDoc(s, null);
      const ledger = this.stampFor(sessionMoves(s), emptyMoves(), undefined);
      if (ledger) doc.ledger = ledger;
      await this.ds.db.insert(doc as Doc);
      this.advance(ledger);
      this.remember(doc);
    });
  }

  /**
   * Stores a session's new version; resolves after fsync. When the version carries a report for the
   * first time, the report is queued in the same write.
   */
  save(s: Session, prevOutbox: OutboxState | null, now: number): Promise<StoredSession> {
    return this.money(() => this.saveNow(s, prevOutbox, now));
  }

  private async saveNow(s: Session, prevOutbox: OutboxState | null, now: number): Promise<StoredSession> {
    const outbox: OutboxState | null =
      prevOutbox ??
      (s.report
        ? { state: 'pending', queuedAt: now, attempts: 0, nextAttemptAt: now, lastErrorClass: null, lastError: null, lastAttemptAt: null, refusals: 0, deliveredAt: null }
        : null);
    const doc = SessionStore.toDoc(s, outbox);
    const prev = this.live.get(s._id) ?? ((await this.get(s._id)) as StoredSession | null);
    const ledger = this.stampFor(sessionMoves(s), sessionMoves(prev), prev?.ledger);
    if (ledger) doc.ledger = ledger;
    else delete doc.ledger;
    const n = await this.ds.db.update({ _id: s._id }, doc as Doc, {});
    if (n !== 1) throw new Error(`session ${s._id} not in store`);
    this.advance(ledger);
    this.remember(doc);
    return doc;
  }

  async get(id: string): Promise<StoredSession | null> {
    return (await this.ds.db.findOne({ _id: id, kind: 'session' })) as StoredSession | null;
  }

  /** Sessions with this uid created after `since` (the uid memory: younger than 24 h), newest first. */
  async byUid(uid: string, since: number): Promise<StoredSession[]> {
    const out: StoredSession[] = [];
    for (const id of this.uids.get(uid) ?? []) {
      const d = this.live.get(id)!;
      if (d.createdAt > since) out.push(d);
    }
    return out.sort((a, b) => b.createdAt - a.createdAt);
  }

  async active(): Promise<StoredSession[]> {
    return (await this.ds.db.find({ kind: 'session', state: { $in: [...ACTIVE_STATES] } }).sort({ createdAt: 1 })) as StoredSession[];
  }

  async recent(limit: number): Promise<StoredSession[]> {
    return (await this.ds.db.find({ kind: 'session' }).sort({ createdAt: -1 }).limit(limit)) as StoredSession[];
  }

  /**
   * Sessions whose report waits, oldest queued first. From the live index, not a query through nedb: a
   * query copies every document of the day to match it, and the status refresh asks after every finished
   * session, while the next Pay may already be waiting (bench/README.md, "Where the time goes"). Copies,
   * as nedb's were: the caller may keep or change them.
   */
  async pendingReports(): Promise<StoredSession[]> {
    const out: StoredSession[] = [];
    for (const d of this.live.values()) if (d.outbox?.state === 'pending') out.push(structuredClone(d));
    return out.sort((a, b) => a.outbox!.queuedAt - b.outbox!.queuedAt || cmp(a._id, b._id));
  }

  async setOutbox(id: string, outbox: OutboxState): Promise<void> {
    await this.ds.db.update({ _id: id, kind: 'session' }, { $set: { outbox } });
    const d = this.live.get(id);
    if (d) this.remember({ ...d, outbox });
  }

  addUnattributed(c: UnattributedCredit): Promise<void> {
    return this.money(async () => {
      const doc: UnattributedCredit = { ...c };
      const ledger = this.stampFor(unattributedMoves(doc), emptyMoves(), undefined);
      if (ledger) doc.ledger = ledger;
      await this.ds.db.insert(doc);
      this.advance(ledger);
      this.credits.set(doc._id, doc);
    });
  }

  saveUnattributed(c: UnattributedCredit): Promise<void> {
    return this.money(async () => {
      const prev = this.credits.get(c._id) ?? null;
      const doc: UnattributedCredit = { ...c };
      const ledger = this.stampFor(unattributedMoves(doc), unattributedMoves(prev), prev?.ledger);
      if (ledger) doc.ledger = ledger;
      else delete doc.ledger;
      await this.ds.db.update({ _id: c._id }, doc, {});
      this.advance(ledger);
      this.credits.set(doc._id, doc);
    });
  }

  /** Unattributed credits, oldest first: from the index kept beside the store (copies), like pendingReports. */
  async unattributed(): Promise<UnattributedCredit[]> {
    return [...this.credits.values()].map((u) => structuredClone(u)).sort((a, b) => a.at - b.at || cmp(a._id, b._id));
  }

  /** The live store's sessions, credits and cash records as last stored (for the totals; no query). */
  async documents(): Promise<{ sessions: StoredSession[]; unattributed: UnattributedCredit[]; cash: CashRecord[] }> {
    return { sessions: [...this.live.values()], unattributed: [...this.credits.values()], cash: await this.cashRecords() };
  }

  /** Sessions that carry a report (pending or delivered), for the outbox figures. */
  async withOutbox(): Promise<StoredSession[]> {
    return (await this.ds.db.find({ kind: 'session', outbox: { $ne: null } })) as StoredSession[];
  }

  /**
   * Marks the reports of these sessions delivered, in one write (nedb appends the changed documents
   * together, fsync'd once: durable-datastore.ts). Only outbox fields change; a report no longer
   * pending is left as it is.
   */
  async markDelivered(ids: string[], at: number): Promise<void> {
    await this.ds.db.update(
      { _id: { $in: ids }, kind: 'session', 'outbox.state': 'pending' },
      { $set: { 'outbox.state': 'delivered', 'outbox.deliveredAt': at, 'outbox.lastAttemptAt': at }, $inc: { 'outbox.attempts': 1 } },
      { multi: true },
    );
    for (const id of ids) {
      const d = this.live.get(id);
      if (d?.outbox?.state === 'pending') this.remember({ ...d, outbox: { ...d.outbox, state: 'delivered', deliveredAt: at, lastAttemptAt: at, attempts: d.outbox.attempts + 1 } });
    }
  }

  /** Null while writes work; the error that made the store unusable otherwise. */
  get failure(): PayPointError | null {
    return this.ds.failure;
  }

  /** What the start cut off the end of the datafile (a torn line from a power cut), if anything. */
  get lastRepair(): TailRepair {
    return this.ds.lastRepair;
  }

  /** Durable writes done since open (each synced before it resolved). */
  get writes(): number {
    return this.ds.writes;
  }

  /** Rewrites the datafile without superseded lines (temp file, fsync, rename, fsync of the directory). */
  compact(): Promise<void> {
    return this.ds.compact();
  }

  /** Documents in the live store (the inventory checkpoint, bookkeeping only, not counted). */
  async count(): Promise<number> {
    return this.ds.db.count({ kind: { $ne: 'inventory' } });
  }

  /**
   * Moves sessions out of the live store into the daily journal: finished, created before `olderThan`,
   * and with no report or a delivered one. Returns how many moved.
   */
  archive(olderThan: number): Promise<number> {
    return this.money(() => this.archiveNow(olderThan));
  }

  private async archiveNow(olderThan: number): Promise<number> {
    const docs = (await this.ds.db.find({
      kind: 'session',
      state: { $in: ['paid', 'cancelled'] },
      createdAt: { $lt: olderThan },
      $or: [{ outbox: null }, { 'outbox.state': 'delivered' }],
    })) as StoredSession[];
    const done = (await this.ds.db.find({ kind: 'unattributed', done: true, at: { $lt: olderThan } })) as UnattributedCredit[];
    const cash = (await this.ds.db.find({ kind: 'cash', at: { $lt: olderThan } })) as CashRecord[];
    const leaving = [...docs, ...done, ...cash];
    // A document about to leave may carry the newest ledger stamp: keep the inventory in the live store
    // first (its own document, same stamp), so the removals below cannot take it away.
    if (leaving.some((d) => d.ledger?.seq === this.ledger.seq && this.ledger.seq > 0)) {
      const cp: InventoryCheckpoint = { _id: 'cash-inventory', kind: 'inventory', at: olderThan, ledger: this.ledger };
      await this.ds.db.update({ _id: cp._id }, cp, { upsert: true });
    }
    const byDay = new Map<string, StoredSession[]>();
    for (const d of docs) {
      const day = journalDay(d.finishedAt ?? d.createdAt);
      byDay.set(day, [...(byDay.get(day) ?? []), d]);
    }
    for (const [day, list] of byDay) {
      await this.journal.append(day, list);
      await this.ds.db.remove({ _id: { $in: list.map((d) => d._id) } }, { multi: true });
      for (const d of list) this.forget(d._id);
    }
    if (done.length) {
      await this.journal.append(journalDay(olderThan), done);
      await this.ds.db.remove({ _id: { $in: done.map((d) => d._id) } }, { multi: true });
      for (const d of done) this.credits.delete(d._id);
    }
    const cashByDay = new Map<string, CashRecord[]>();
    for (const c of cash) cashByDay.set(journalDay(c.at), [...(cashByDay.get(journalDay(c.at)) ?? []), c]);
    for (const [day, list] of cashByDay) {
      await this.journal.append(day, list);
      await this.ds.db.remove({ _id: { $in: list.map((d) => d._id) } }, { multi: true });
    }
    const moved = docs.length + done.length + cash.length;
    if (moved > 0) await this.ds.compact();
    return moved;
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
