/**
 * The VTK operation machine (VTK 1.12 sections 3.2-3.4, 4.4, 4.5): card offers in order, one at a
 * time, each through its phases — VRP sent, outcome learned, delivered to the engine, FIN owed and sent —
 * with the journal (vtk-op-journal.ts) written before each step that the terminal or the engine could
 * act on. It speaks to the terminal only through the link session (vtk-link-session.ts); what happens
 * after a restart or a lost answer is in vtk-recovery.ts.
 */
import { describeMessage, type VtkMessage } from '../../codecs/vtk/message.js';
import { compareOpNumbers, newestOpNumber, nextOpNumber } from '../../codecs/vtk/op-number.js';
import { ErrorCode, PayPointError } from '../../errors.js';
import type { CardOutcome } from '../interfaces.js';
import type { VtkLinkSession } from './vtk-link-session.js';
import { mono, type VtkLog } from './vtk-log.js';
import type { VtkOpJournal, VtkOpRecord, VtkOpResult } from './vtk-op-journal.js';

export type Phase = 'vrp' | 'resolve' | 'deliver' | 'fin';
/** Who is told the outcome: the engine's handler; a waiting recover(); nobody yet (found at start); nobody. */
export type Delivery = 'handler' | 'recover' | 'unclaimed' | 'orphan';
type Learned = { kind: 'answer'; amount: number; receipt?: string } | { kind: 'never-sent' };
export type RecoverResult = 'approved' | 'declined' | 'cancelled' | 'unknown';

export interface Job {
  rec: VtkOpRecord;
  phase: Phase;
  delivery: Delivery;
  /** The VRP for this job went out (or may have: a failed write counts). */
  sent: boolean;
  /** cancel() was called: a zero answer is reported as 'cancelled', not 'declined'. */
  abort: boolean;
  learned: Learned | null;
  recoverWaiter: ((r: RecoverResult) => void) | null;
  /** conclude() has acted on `learned`. */
  concluded: boolean;
  createdAt: number;
}

export function newJob(rec: VtkOpRecord, phase: Phase, delivery: Delivery, now: number, sent: boolean): Job {
  return { rec, phase, delivery, sent, abort: false, learned: null, recoverWaiter: null, concluded: false, createdAt: now };
}

export class VtkOperations {
  handler: ((o: CardOutcome) => Promise<void>) | null = null;
  jobs: Job[] = [];
  /** opIds whose journal write is in progress (a retry meanwhile must not take a second number). */
  private readonly starting = new Set<string>();
  private lastAllocated = 0;
  /** Claimed operations whose outcome the terminal can no longer tell (vtk-recovery.ts). */
  readonly stuck = new Map<string, Job>();
  /** The last late approval reversed with FIN 0 in this run (health shows it). */
  lastLate: VtkOpRecord | null = null;

  constructor(
    private readonly name: string,
    private readonly productName: string | undefined,
    private readonly log: VtkLog,
    private readonly link: VtkLinkSession,
  ) {}

  /** Set by start(); null until then, or when the journal could not be opened (journalError says why). */
  journal: VtkOpJournal | null = null;
  journalError: string | null = null;

  requireJournal(): VtkOpJournal {
    if (!this.journal) throw new PayPointError(ErrorCode.DeviceNotReady, `VTK card reader ${this.name} is not running`, { device: this.name, journal: this.journalError });
    return this.journal;
  }

  async startPayment(opId: string, amount: number): Promise<void> {
    const journal = this.requireJournal();
    if (!Number.isSafeInteger(amount) || amount <= 0 || String(amount).length > 12) {
      throw new PayPointError(ErrorCode.DeviceProtocol, 'VTK: amount must be 1..12 digits of kopecks (3.4)', { amount });
    }
    if (this.starting.has(opId)) return; // the same offer is being journaled right now
    const existing = journal.byOpId(opId);
    if (existing) {
      // The same offer again (a retry): the terminal answers a repeated number with its previous result
      // (3.3), and a finished one is told again from the journal.
      if (!this.jobs.some((j) => j.rec.opId === opId) && !this.stuck.has(opId)) this.redeliver(existing);
      return;
    }
    // Anything still unclaimed belongs to no session: the engine claims its open offer through
    // recover() during its start, before it takes a new Pay.
    for (const j of this.jobs) if (j.delivery === 'unclaimed') this.orphan(j);
    if (!this.link.ready) {
      // Nothing was journaled or sent: certainly not charged.
      this.log.warn({ device: this.name, opId }, 'VTK: card offer refused, terminal not answering');
      this.later(() => this.deliver({ opId, result: 'declined', reason: 'card terminal offline' }));
      this.kick();
      return;
    }
    // 3.3: the VMC increments the operation number before each VRP; above what we used and what the
    // terminal reports, so a number is never reused (a reuse would fetch an old result).
    // Newest in wrap-around order (op-number.ts): 1 follows 99 999 999.
    const highest = newestOpNumber([journal.lastOpNumber, this.link.posOpNumber ?? 0, this.lastAllocated, ...this.jobs.map((j) => j.rec.opNumber)]);
    const opNumber = nextOpNumber(highest);
    this.lastAllocated = opNumber;
    const rec: VtkOpRecord = { opId, opNumber, amount, state: 'requested', at: Date.now() };
    // The operation number is durable before the request goes out (vtk-recovery.ts: the hard case).
    this.starting.add(opId);
    try {
      await journal.put(rec);
    } finally {
      this.starting.delete(opId);
    }
    this.jobs.push(newJob(rec, 'vrp', 'handler', mono(), false));
    this.log.info({ device: this.name, opId, opNumber, amount }, 'VTK: card offered');
    this.kick();
  }

  async cancel(opId: string): Promise<void> {
    const job = this.jobs.find((j) => j.rec.opId === opId) ?? this.stuck.get(opId);
    if (!job) {
      if (!this.journal?.byOpId(opId)) this.later(() => this.deliver({ opId, result: 'cancelled' }));
      return; // a finished operation's outcome was already delivered
    }
    job.abort = true;
    if (job.phase === 'vrp' && !job.sent) {
      // Never sent: nothing to abort at the terminal.
      this.jobs = this.jobs.filter((j) => j !== job);
      await this.journal!.put({ ...job.rec, state: 'done', result: 'cancelled', at: Date.now() });
      this.later(() => this.deliver({ opId, result: 'cancelled' }));
      return;
    }
    if ((job.phase === 'vrp' || job.phase === 'resolve') && !job.rec.withdrawn && !job.learned) {
      // The withdrawal is durable before the ABR: an approval that comes after it, even after a restart,
      // is finalised as vending failure (3.4, FIN 0), never kept.
      job.rec = { ...job.rec, withdrawn: true, at: Date.now() };
      await this.journal!.put(job.rec);
    }
    const awaiting = this.link.awaiting;
    if (this.link.open && awaiting?.name === 'VRP' && awaiting.opNumber === job.rec.opNumber) {
      // 4.4/4.5: ABR while the VRP is outstanding; the terminal still answers the VRP (0 when aborted,
      // or an approval that came too late: finalised with FIN 0, see outcomeOf).
      this.log.info({ device: this.name, opId, opNumber: job.rec.opNumber }, 'VTK: abort requested');
      await this.link.send({ name: 'ABR' });
    }
  }

  /** The link went INACTIVE: a VRP that may have reached the terminal turns into a question. */
  onInactive(): void {
    for (const j of this.jobs) if (j.phase === 'vrp' && j.sent) j.phase = 'resolve';
  }

  /** Operations found at start that no session claimed within the grace time are settled alone. */
  tick(now: number, orphanGraceMs: number): void {
    for (const j of this.jobs) {
      if (j.delivery === 'unclaimed' && now - j.createdAt >= orphanGraceMs) this.orphan(j);
    }
  }

  /** Sends what the head operation needs next, if the link can take it. */
  kick(): void {
    if (!this.link.ready || this.link.awaiting) return;
    const job = this.jobs[0];
    if (!job) return;
    const op = job.rec.opNumber;
    const posOp = this.link.posOpNumber;
    switch (job.phase) {
      case 'vrp':
        this.sendVrp(job);
        return;
      case 'resolve': {
        if (job.learned) return; // waiting for its owner (conclude() runs when it is known)
        if (posOp === null) return; // the next IDL answer tells
        const order = compareOpNumbers(posOp, op); // wrap-around aware (op-number.ts)
        if (order < 0) {
          // 3.3: the POS saves the number of every VRP it receives; a lower one means ours never arrived.
          job.learned = { kind: 'never-sent' };
          void this.conclude(job);
        } else if (order === 0) {
          // 3.3: a repeated VRP with the same number returns the previous result.
          this.log.info({ device: this.name, opId: job.rec.opId, opNumber: op }, 'VTK: asking the terminal for the outcome (repeated VRP)');
          this.sendVrp(job);
        } else {
          this.markStuck(job, posOp);
        }
        return;
      }
      case 'fin':
        this.link.awaiting = { name: 'FIN', opNumber: op, since: mono() };
        void this.link.send({ name: 'FIN', opNumber: op, amount: job.rec.finAmount ?? 0 });
        return;
      case 'deliver':
        return;
    }
  }

  private sendVrp(job: Job): void {
    const op = job.rec.opNumber;
    job.sent = true;
    this.link.awaiting = { name: 'VRP', opNumber: op, since: mono() };
    this.link.posOpNumber = op; // the POS stores it on receipt (3.3)
    void this.link.send({ name: 'VRP', opNumber: op, amount: job.rec.amount, productName: this.productName }).then((ok) => {
      if (ok && job.abort && this.link.awaiting?.opNumber === op) void this.link.send({ name: 'ABR' });
    });
  }

  onAnswer(m: VtkMessage): void {
    if (m.name === 'VRP') this.onVrpAnswer(m);
    else this.onFinAnswer(m);
  }

  private onVrpAnswer(m: VtkMessage): void {
    const job = this.jobs[0];
    if (!job || m.opNumber !== job.rec.opNumber || !(job.phase === 'vrp' || job.phase === 'resolve') || job.learned) {
      this.log.warn({ device: this.name, rx: describeMessage(m) }, 'VTK: VRP answer for no operation waiting; ignored');
      return;
    }
    if (m.amount === undefined) {
      this.log.warn({ device: this.name, rx: describeMessage(m) }, 'VTK: VRP answer without an amount; ignored');
      return;
    }
    if (this.link.awaiting?.name === 'VRP') this.link.awaiting = null;
    job.learned = { kind: 'answer', amount: m.amount, receipt: m.receipt };
    void this.conclude(job);
  }

  private onFinAnswer(m: VtkMessage): void {
    const job = this.jobs[0];
    if (!job || job.phase !== 'fin' || m.opNumber !== job.rec.opNumber) {
      this.log.warn({ device: this.name, rx: describeMessage(m) }, 'VTK: FIN answer for no FIN waiting; ignored');
      return;
    }
    if (this.link.awaiting?.name === 'FIN') this.link.awaiting = null;
    const fin = job.rec.finAmount ?? 0;
    // 3.4: the finalisation is approved when the FIN answer carries the FIN request's amount.
    if (m.amount !== fin) this.log.error({ device: this.name, opId: job.rec.opId, opNumber: job.rec.opNumber, sent: fin, answered: m.amount ?? null }, 'VTK: terminal declined the FIN');
    else this.log.info({ device: this.name, opId: job.rec.opId, opNumber: job.rec.opNumber, amount: fin }, 'VTK: operation finalised');
    this.jobs = this.jobs.filter((j) => j !== job);
    void this.journal!
      .put({ ...job.rec, state: 'done', result: fin > 0 ? 'approved' : job.rec.result === 'late-reversed' ? 'late-reversed' : 'reversed', at: Date.now() })
      .catch((e) => this.log.error({ device: this.name, err: { message: (e as Error).message } }, 'VTK: journal write failed'))
      .then(() => this.afterOperation());
  }

  /** 3.2: after a decline, or a FIN answer, the VMC sends IDL at once. */
  private afterOperation(): void {
    void this.link.sendIdl().then(() => this.kick());
  }

  /** What the terminal said, as the engine's outcome. */
  private outcomeOf(job: Job): CardOutcome & { partial?: number; late?: number } {
    const { opId, amount, opNumber } = job.rec;
    const l = job.learned!;
    if (l.kind === 'never-sent') return { opId, result: 'cancelled' };
    // 3.4: an approval of an offer the engine withdrew is a vending failure: FIN 0, the bank reverses it.
    if (l.amount !== 0 && (job.abort || job.rec.withdrawn)) return { opId, result: 'cancelled', late: l.amount };
    if (l.amount === amount) return { opId, result: 'approved', amount, ref: rrnOf(l.receipt) ?? `VTK-${opNumber}` };
    if (l.amount !== 0) return { opId, result: 'declined', reason: `terminal approved ${l.amount} instead of ${amount}; reversed`, partial: l.amount };
    if (job.abort) return { opId, result: 'cancelled' };
    const code = l.receipt?.match(/RESPONSE CODE:\s*(\S+)/)?.[1];
    return { opId, result: 'declined', reason: code ? `declined by the card terminal (response code ${code})` : 'declined by the card terminal' };
  }

  /** Acts on a learned outcome according to who is waiting for it. */
  async conclude(job: Job): Promise<void> {
    if (!job.learned || job.concluded) return;
    if (job.delivery === 'unclaimed') return; // recover() or the orphan grace decides
    job.concluded = true; // once: a VRP answer and a recover() call may both get here
    // Nothing more to ask the terminal: until the FIN is owed (owe()), kick() must not repeat the VRP
    // (a repeated VRP meanwhile held the link until the operation timeout before the FIN went out).
    job.phase = 'deliver';
    const out = this.outcomeOf(job);
    const log = { device: this.name, opId: job.rec.opId, opNumber: job.rec.opNumber, result: out.result };

    if (out.partial !== undefined) {
      // 3.4: FIN 0 means the vend failed; the terminal gives the money back.
      await this.owe(job, 0, 'reversed');
    }
    if (out.late !== undefined) {
      // Kept in the journal (never dropped); the last one of this run is shown in health while idle.
      this.log.error({ ...log, approved: out.late }, 'VTK: approval after the offer was withdrawn; finalising as vending failure (FIN 0) so the bank reverses it');
      job.rec = { ...job.rec, lateAmount: out.late, ref: rrnOf(job.learned.kind === 'answer' ? job.learned.receipt : undefined) };
      this.lastLate = job.rec;
      await this.owe(job, 0, 'late-reversed');
    }

    if (out.result !== 'approved') {
      if (out.partial === undefined && out.late === undefined) {
        this.jobs = this.jobs.filter((j) => j !== job);
        await this.journal!.put({ ...job.rec, state: 'done', result: out.result as VtkOpResult, reason: out.result === 'declined' ? out.reason : undefined, at: Date.now() });
        this.afterOperation();
      }
      this.log.info(log, 'VTK: operation ended without payment');
      if (job.delivery === 'recover') this.answerRecover(job, out.result);
      else if (job.delivery === 'handler') await this.deliver(out);
      return;
    }

    if (job.delivery === 'orphan') {
      // No session waits for it: the engine stored this approval before the restart. FIN it.
      this.log.warn(log, 'VTK: approval of a finished session found at start; sending its FIN');
      await this.owe(job, out.amount, 'approved');
      return;
    }
    this.log.info(log, 'VTK: approved');
    this.answerRecover(job, 'approved');
    job.phase = 'deliver';
    // Acknowledgement rule: FIN (the amount sold) only once the engine has stored the approval.
    const stored = await this.deliver(out);
    await this.owe(job, stored ? out.amount : 0, stored ? 'approved' : 'reversed');
  }

  /** Journals that a FIN of `finAmount` is owed, then sends it. */
  private async owe(job: Job, finAmount: number, result: VtkOpResult): Promise<void> {
    job.rec = { ...job.rec, state: 'finishing', finAmount, result, at: Date.now() };
    await this.journal!.put(job.rec);
    job.phase = 'fin';
    this.kick();
  }

  /** No session claimed this operation from before the restart: settle it with the terminal alone. */
  orphan(job: Job): void {
    job.delivery = 'orphan';
    if (job.learned) void this.conclude(job);
  }

  /** The terminal has moved past this operation (3.3): its outcome can no longer be learned. */
  private markStuck(job: Job, posOp: number): void {
    this.jobs = this.jobs.filter((j) => j !== job);
    this.log.error(
      { device: this.name, opId: job.rec.opId, opNumber: job.rec.opNumber, terminalOpNumber: posOp },
      'VTK: the terminal has moved past this operation; its outcome cannot be learned (settle by hand)',
    );
    if (job.delivery === 'orphan' || job.delivery === 'unclaimed') {
      // No session waits for it (or none has claimed it): keep the record, flagged, and move on.
      void this.journal!.put({ ...job.rec, state: 'done', result: 'unresolvable', unlearnable: true, at: Date.now() });
      this.kick();
      return;
    }
    this.stuck.set(job.rec.opId, job);
    // Journaled so that the operator's list of unknown outcomes (and `paypoint settle`) sees it.
    job.rec = { ...job.rec, unlearnable: true, at: Date.now() };
    void this.journal!.put(job.rec);
    this.answerRecover(job, 'unknown');
    job.delivery = 'handler';
    this.kick();
  }

  answerRecover(job: Job, r: RecoverResult): void {
    const w = job.recoverWaiter;
    job.recoverWaiter = null;
    if (w) {
      if (r !== 'unknown' && r !== 'approved') job.delivery = 'orphan';
      else job.delivery = 'handler';
      w(r);
    }
  }

  /** Tells the engine again what the journal says about a finished operation. */
  redeliver(rec: VtkOpRecord): void {
    const { opId } = rec;
    const approved = rec.result === 'approved' || (rec.result === 'settled-by-hand' && rec.reason === 'approved');
    const out: CardOutcome = approved
      ? { opId, result: 'approved', amount: rec.amount, ref: rec.ref ?? `VTK-${rec.opNumber}` }
      : rec.result === 'declined'
        ? { opId, result: 'declined', reason: rec.reason ?? 'declined by the card terminal' }
        : { opId, result: 'cancelled' };
    this.later(() => this.deliver(out));
  }

  /** Calls the engine's handler; true once the outcome is stored. */
  async deliver(out: CardOutcome): Promise<boolean> {
    if (!this.handler) {
      this.log.error({ device: this.name, opId: out.opId }, 'VTK: no outcome handler');
      return false;
    }
    try {
      await this.handler(out);
      return true;
    } catch (e) {
      this.log.error({ device: this.name, opId: out.opId, result: out.result, err: { message: (e as Error).message } }, 'VTK: outcome not stored by the engine');
      return false;
    }
  }

  private later(fn: () => Promise<unknown>): void {
    setImmediate(() => void fn().catch(() => undefined));
  }
}

/** The bank's retrieval reference number from a receipt (3.19), e.g. "RRN:028810000045". */
function rrnOf(receipt: string | undefined): string | undefined {
  return receipt?.match(/RRN:\s*(\w+)/)?.[1];
}
