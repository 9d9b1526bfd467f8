/**
 * The daemon's side of settling by hand (payment/open-cases.ts): keeps the list of open and settled
 * cases for the status page, and hands each card settlement that `paypoint settle` appended to the
 * ledger to the card module, so the session that waits for that outcome ends (paid if the charge
 * stands, otherwise it carries on as after a decline). The ledger is the record; applying it is
 * repeated after a restart until the card module says the operation is no longer open. Also keeps the
 * totals of today and since the last collection (payment/daily-totals.ts) for the status page.
 */
import { join } from 'node:path';
import type { CardReader } from '../../drivers/interfaces.js';
import type { VtkOpRecord } from '../../drivers/vtk/vtk-op-journal.js';
import { ErrorCode, isPayPointError } from '../../errors.js';
import { caseList, type CaseList } from '../../payment/open-cases.js';
import { dayTotals, sinceCollectionTotals, type Totals } from '../../payment/daily-totals.js';
import type { Logger } from '../log.js';
import { JournalCache, readCaseInputs } from '../store/case-files.js';
import type { SessionStore } from '../store/session-store.js';

export interface LateReversed {
  opId: string;
  opNumber: number;
  amount: number;
  at: number;
  ref: string | null;
}

export class OpenCaseMonitor {
  private readonly cache: JournalCache;
  private readonly applied = new Set<string>();
  private current: CaseList = { open: [], settled: [] };
  private late: LateReversed[] = [];
  private totalsNow: { today: Totals; sinceCollection: Totals } | null = null;

  constructor(
    private readonly dataDir: string,
    private readonly store: SessionStore,
    private readonly card: CardReader | null,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.cache = new JournalCache(store.journal);
  }

  /** Re-reads the cases and applies new card settlements. */
  async refresh(): Promise<void> {
    const inputs = await readCaseInputs(this.dataDir, this.cache, await this.store.documents());
    this.current = caseList(inputs);
    const now = this.now();
    const d = new Date(now);
    const from = new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
    const to = new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1).getTime();
    this.totalsNow = { today: dayTotals(inputs, from, to), sinceCollection: sinceCollectionTotals(inputs, now) };
    const ops: VtkOpRecord[] = inputs.cardOps;
    this.late = ops
      .filter((o) => o.result === 'late-reversed')
      .map((o) => ({ opId: o.opId, opNumber: o.opNumber, amount: o.lateAmount ?? o.amount, at: o.at, ref: o.ref ?? null }));
    for (const s of inputs.settlements) {
      if (this.applied.has(s._id) || !s.caseId.startsWith('card:')) continue;
      const opId = s.caseId.slice('card:'.length);
      // Applied before (a restart since): the card journal says so.
      if (ops.some((o) => o.opId === opId && o.result === 'settled-by-hand')) {
        this.applied.add(s._id);
        continue;
      }
      if (!this.card?.settleByHand) continue;
      try {
        await this.card.settleByHand(opId, s.how === 'charged' ? 'approved' : 'declined', `settled by ${s.by}`);
        this.applied.add(s._id);
        this.log.warn({ opId, how: s.how, by: s.by }, 'card operation settled from the settlement ledger');
      } catch (e) {
        // Not open: no session waits for it (the ledger record is what counts), or not yet (a session
        // that claims it after a restart gets it at the next refresh).
        if (!isPayPointError(e, ErrorCode.DeviceNotReady)) this.log.error({ opId, err: { message: (e as Error).message } }, 'card settlement not applied');
      }
    }
  }

  cases(): CaseList {
    return this.current;
  }

  lateReversed(): LateReversed[] {
    return this.late;
  }

  /** Today's totals (local day) and since the last collection, as of the last refresh. */
  totals(): { today: Totals; sinceCollection: Totals } | null {
    return this.totalsNow;
  }

  /** The ledger's path (for logs and the status page). */
  get ledger(): string {
    return join(this.dataDir, 'settlements.jsonl');
  }
}
