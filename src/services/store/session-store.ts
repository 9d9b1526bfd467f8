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
import type { PayPointError } from '../../errors.js';
import { DurableDatastore } from './durable-datastore.js';
import type { TailRepair } from './torn-tail.js';
import { Journal, journalDay } from './journal.js';

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

export type StoredSession = Session & { kind: 'session'; outbox: OutboxState | null };

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
}

type Doc = StoredSession | UnattributedCredit;

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
    return store;
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
    const doc = SessionStore.toDoc(s, null);
    await this.ds.db.insert(doc as Doc);
    this.remember(doc);
  }

  /**
   * Stores a session's new version; resolves after fsync. When the version carries a report for the
   * first time, the report is queued in the same write.
   */
  async save(s: Session, prevOutbox: OutboxState | null, now: number): Promise<StoredSession> {
    const outbox: OutboxState | null =
      prevOutbox ??
      (s.report
        ? { state: 'pending', queuedAt: now, attempts: 0, nextAttemptAt: now, lastErrorClass: null, lastError: null, lastAttemptAt: null, refusals: 0, deliveredAt: null }
        : null);
    const doc = SessionStore.toDoc(s, outbox);
    const n = await this.ds.db.update({ _id: s._id }, doc as Doc, {});
    if (n !== 1) throw new Error(`session ${s._id} not in store`);
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

  async pendingReports(): Promise<StoredSession[]> {
    return (await this.ds.db.find({ kind: 'session', 'outbox.state': 'pending' }).sort({ 'outbox.queuedAt': 1, _id: 1 })) as StoredSession[];
  }

  async setOutbox(id: string, outbox: OutboxState): Promise<void> {
    await this.ds.db.update({ _id: id, kind: 'session' }, { $set: { outbox } });
    const d = this.live.get(id);
    if (d) this.remember({ ...d, outbox });
  }

  async addUnattributed(c: UnattributedCredit): Promise<void> {
    await this.ds.db.insert(c);
  }

  async saveUnattributed(c: UnattributedCredit): Promise<void> {
    await this.ds.db.update({ _id: c._id }, c, {});
  }

  async unattributed(): Promise<UnattributedCredit[]> {
    return (await this.ds.db.find({ kind: 'unattributed' }).sort({ at: 1 })) as UnattributedCredit[];
  }

  /** Finished sessions with a rest amount owed to the customer (payment/open-cases.ts). */
  async withRest(): Promise<StoredSession[]> {
    return (await this.ds.db.find({ kind: 'session', state: { $in: ['paid', 'cancelled'] }, 'payout.rest': { $gt: 0 } })) as StoredSession[];
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

  /** Durable writes done since open (each fdatasync'd before it resolved). */
  get writes(): number {
    return this.ds.writes;
  }

  /** Rewrites the datafile without superseded lines (temp file, fsync, rename, fsync of the directory). */
  compact(): Promise<void> {
    return this.ds.compact();
  }

  async count(): Promise<number> {
    return this.ds.db.count({});
  }

  /**
   * Moves sessions out of the live store into the daily journal: finished, created before `olderThan`,
   * and with no report or a delivered one. Returns how many moved.
   */
  async archive(olderThan: number): Promise<number> {
    const docs = (await this.ds.db.find({
      kind: 'session',
      state: { $in: ['paid', 'cancelled'] },
      createdAt: { $lt: olderThan },
      $or: [{ outbox: null }, { 'outbox.state': 'delivered' }],
    })) as StoredSession[];
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
    const done = (await this.ds.db.find({ kind: 'unattributed', done: true, at: { $lt: olderThan } })) as UnattributedCredit[];
    if (done.length) {
      await this.journal.append(journalDay(olderThan), done);
      await this.ds.db.remove({ _id: { $in: done.map((d) => d._id) } }, { multi: true });
    }
    if (docs.length + done.length > 0) await this.ds.compact();
    return docs.length + done.length;
  }
}
