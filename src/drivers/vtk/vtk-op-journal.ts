/**
 * The VTK driver's small durable map: engine opId -> VTK operation number, amount and how far the
 * operation got. Written (fsync'd, atomically) BEFORE a VRP goes out, so after a crash the driver knows
 * which operation number to ask the terminal about (VTK 1.12 section 3.3: the POS keeps the operation
 * number in non-volatile memory and answers a repeated VRP/FIN with the same number with its previous
 * result); and before a FIN is due, so a FIN owed to the terminal is sent after a restart.
 */
import { promises as fsp, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../../base/fsync.js';
import { compareOpNumbers, newestOpNumber } from '../../codecs/vtk/op-number.js';
import { ErrorCode, PayPointError } from '../../errors.js';

/**
 * requested: journaled before the VRP is sent; the outcome is not known to be delivered.
 * finishing: the outcome was delivered and a FIN with `finAmount` is owed to the terminal.
 * done:      nothing more is owed; `result` says how it ended.
 */
export type VtkOpState = 'requested' | 'finishing' | 'done';
export type VtkOpResult = 'approved' | 'declined' | 'cancelled' | 'reversed' | 'late-reversed' | 'unresolvable' | 'settled-by-hand';

export interface VtkOpRecord {
  opId: string;
  opNumber: number;
  amount: number;
  state: VtkOpState;
  result?: VtkOpResult;
  /** FIN amount (VTK 3.4): the amount sold, or 0 for "vend failed" (the terminal reverses the charge). */
  finAmount?: number;
  ref?: string;
  reason?: string;
  /**
   * The engine withdrew the offer (cancel): an approval that still comes is a charge for a purchase
   * paid otherwise or abandoned, finalised with FIN 0 (3.4: vending failure) so that the bank reverses
   * it. Journaled before the ABR goes out, so a restart does not forget it.
   */
  withdrawn?: boolean;
  /** The approved amount of a late approval reversed with FIN 0 (result 'late-reversed'). */
  lateAmount?: number;
  /**
   * The terminal moved past this operation while a session waited for it (3.3): its outcome can no
   * longer be learned; a person settles it (payment/open-cases.ts).
   */
  unlearnable?: boolean;
  /** Wall-clock ms of the last change (for people reading the file). */
  at: number;
}

/**
 * The records of a journal file, read without opening the journal (for the settle command and the status
 * page; the file is replaced atomically, so a reader sees a whole one). [] when there is none.
 */
export function readVtkOpRecords(path: string): VtkOpRecord[] {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as JournalFile;
    return Array.isArray(parsed.ops) ? parsed.ops : [];
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new PayPointError(ErrorCode.DeviceFault, `VTK journal ${path} unreadable: ${(e as Error).message}`, { path }, { cause: e });
  }
}

interface JournalFile {
  version: 1;
  /** Newest VTK operation number this kiosk has used, in wrap-around order (3.3; op-number.ts). */
  lastOpNumber: number;
  ops: VtkOpRecord[];
}

/** Finished records kept for recover() of recent operations and for people; older ones are dropped. */
const KEEP_DONE = 200;

export class VtkOpJournal {
  private constructor(
    readonly path: string,
    private data: JournalFile,
  ) {}

  static async open(path: string): Promise<VtkOpJournal> {
    let text: string;
    try {
      text = await fsp.readFile(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new VtkOpJournal(path, { version: 1, lastOpNumber: 0, ops: [] });
      throw new PayPointError(ErrorCode.DeviceFault, `VTK journal ${path} unreadable: ${(e as Error).message}`, { path }, { cause: e });
    }
    let parsed: JournalFile;
    try {
      parsed = JSON.parse(text) as JournalFile;
      if (parsed.version !== 1 || !Number.isSafeInteger(parsed.lastOpNumber) || !Array.isArray(parsed.ops)) throw new Error('unexpected shape');
    } catch (e) {
      // Written atomically (temp + fsync + rename), so this is not a torn write: refuse to guess which
      // operations are open; the card reader reports a fault and other means of payment carry on.
      throw new PayPointError(ErrorCode.DeviceFault, `VTK journal ${path} is corrupt: ${(e as Error).message}`, { path }, { cause: e });
    }
    return new VtkOpJournal(path, parsed);
  }

  get lastOpNumber(): number {
    return this.data.lastOpNumber;
  }

  byOpId(opId: string): VtkOpRecord | undefined {
    return this.data.ops.find((o) => o.opId === opId);
  }

  /** Late approvals finalised as vending failure (FIN 0), oldest first: kept for the operator. */
  lateReversed(): VtkOpRecord[] {
    return this.data.ops.filter((o) => o.result === 'late-reversed');
  }

  /** Records not yet done, oldest operation number first. */
  unfinished(): VtkOpRecord[] {
    return this.data.ops.filter((o) => o.state !== 'done').sort((a, b) => compareOpNumbers(a.opNumber, b.opNumber));
  }

  /** Inserts or replaces the record for `rec.opId` and writes the file durably before resolving. */
  put(rec: VtkOpRecord): Promise<void> {
    // One write at a time: each builds on the state the previous one stored.
    const run = this.chain.then(() => this.write(rec));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private chain: Promise<void> = Promise.resolve();

  /** Resolves when every write asked for so far has finished. */
  flush(): Promise<void> {
    return this.chain;
  }

  private async write(rec: VtkOpRecord): Promise<void> {
    const ops = this.data.ops.filter((o) => o.opId !== rec.opId);
    ops.push({ ...rec });
    // Late approvals reversed and outcomes nobody could learn stay for the operator (they are rare, and
    // each is money the bank returns or a person settled).
    const done = ops.filter((o) => o.state === 'done' && o.result !== 'late-reversed' && o.result !== 'unresolvable' && !o.unlearnable);
    const drop = new Set(done.slice(0, Math.max(0, done.length - KEEP_DONE)));
    const next: JournalFile = { version: 1, lastOpNumber: newestOpNumber([this.data.lastOpNumber, rec.opNumber]), ops: ops.filter((o) => !drop.has(o)) };
    await writeFileAtomic(this.path, JSON.stringify(next, null, 1) + '\n');
    this.data = next;
  }
}
