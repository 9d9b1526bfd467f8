/**
 * Recovery of card operations whose outcome was not seen (VTK 1.12 section 3.3; README, "When the link
 * drops or the daemon restarts during an authorisation"). The link drops, the operation times out
 * (3.6), or the daemon restarts while the terminal is authorising: the driver never guesses. The
 * terminal keeps the operation number in non-volatile memory and answers a repeated VRP with the same
 * number with its previous result; after reconnecting, the operation machine (vtk-operations.ts kick())
 * reads the terminal's current number from its IDL answer:
 *   - lower than ours: our VRP never arrived, nothing was charged -> 'cancelled';
 *   - equal: it repeats the VRP with the same number and amount; the terminal answers with the result
 *     it has (approved amount or 0), or, still authorising, answers when done;
 *   - higher: the terminal has moved on to an operation we did not send; VTK offers no way to ask about
 *     an older number, so the outcome can never be learned from the terminal. The operation stays
 *     'unknown' (health 'fault', the engine keeps PayPoll at 1) until a person settles it with
 *     settleByHand() after checking the terminal's or the bank's journal.
 * Until the outcome is known, recover() answers 'unknown' and the outcome is delivered later through
 * the engine's outcome handler. This file: what is open at start, recover(), settling by hand.
 */
import { ErrorCode, PayPointError } from '../../errors.js';
import { mono, type VtkLog } from './vtk-log.js';
import type { VtkOpRecord } from './vtk-op-journal.js';
import { newJob, type RecoverResult, type VtkOperations } from './vtk-operations.js';

/** Operations the journal holds open at start become jobs: ask the terminal, or send the FIN owed. */
export function resumeOpenOperations(ops: VtkOperations, name: string, log: VtkLog): void {
  const now = mono();
  for (const rec of ops.requireJournal().unfinished()) {
    // 'requested': the VRP may have gone out before the restart; ask the terminal.
    // 'finishing': the outcome was delivered; the FIN is still owed (3.3: a repeated FIN is harmless).
    const finishing = rec.state === 'finishing';
    ops.jobs.push(newJob(rec, finishing ? 'fin' : 'resolve', finishing ? 'orphan' : 'unclaimed', now, true));
    log.warn({ device: name, opId: rec.opId, opNumber: rec.opNumber, state: rec.state }, 'VTK: operation open at start');
  }
}

/** CardReader.recover(): what became of the engine's open offer `opId`, waiting up to `waitMs`. */
export async function recover(ops: VtkOperations, opId: string, waitMs: number, name: string, log: VtkLog): Promise<RecoverResult> {
  const journal = ops.journal;
  if (!journal) return 'unknown';
  const rec = journal.byOpId(opId);
  // Never journaled: the VRP is sent only after the journal write, so it never went out.
  if (!rec) return 'cancelled';
  const stuck = ops.stuck.get(opId);
  if (stuck) {
    stuck.delivery = 'handler';
    return 'unknown';
  }
  const job = ops.jobs.find((j) => j.rec.opId === opId);
  if (job?.phase === 'deliver') {
    // Concluded, its FIN not yet journaled: an exact approval of an offer still wanted is being handed
    // to the engine; an approval of a withdrawn offer or of another amount is being reversed (FIN 0).
    const l = job.learned;
    const exact = l?.kind === 'answer' && l.amount === rec.amount && !job.abort && !rec.withdrawn;
    if (exact) return 'approved';
    return job.abort || rec.withdrawn ? 'cancelled' : 'declined';
  }
  if (!job && rec.state !== 'done') {
    // No job, yet the journal says it is open: the operation was just concluded (the terminal moved past
    // it) and that is being journaled. Answer from what the journal will say, never from the old record
    // ('cancelled' there would offer the card again for an operation that may have been charged).
    await journal.flush();
    return recover(ops, opId, waitMs, name, log);
  }
  if (!job || job.phase === 'fin') return recoverFinished(ops, rec);
  job.delivery = 'recover';
  return new Promise<RecoverResult>((resolve) => {
    job.recoverWaiter = resolve;
    setTimeout(() => {
      if (job.recoverWaiter !== resolve) return;
      // Not known in time: the engine keeps the session waiting (PayPoll 1); the outcome comes later
      // through onOutcome.
      job.recoverWaiter = null;
      job.delivery = 'handler';
      log.warn({ device: name, opId, opNumber: rec.opNumber }, 'VTK: outcome not known yet; will deliver it when the terminal tells');
      resolve('unknown');
    }, waitMs);

    if (job.learned) void ops.conclude(job);
    else ops.kick();
  });
}

/** recover() for an operation whose outcome is known (journal: finishing or done). */
function recoverFinished(ops: VtkOperations, rec: VtkOpRecord): RecoverResult {
  switch (rec.result) {
    case 'approved':
      ops.redeliver(rec);
      return 'approved';
    case 'declined':
      return 'declined';
    case 'unresolvable': {
      ops.stuck.set(rec.opId, newJob(rec, 'resolve', 'handler', mono(), true));
      return 'unknown';
    }
    case 'settled-by-hand':
      ops.redeliver(rec);
      return rec.reason === 'approved' ? 'approved' : 'declined';
    default:
      return 'cancelled'; // cancelled, or reversed by a FIN 0 (another amount, or a late approval)
  }
}

/**
 * For an operation whose outcome the terminal can no longer tell: a person who checked the terminal's
 * or the bank's journal settles it. No FIN is sent (the terminal has moved on).
 */
export async function settleByHand(ops: VtkOperations, opId: string, result: 'approved' | 'declined', ref: string, name: string, log: VtkLog): Promise<void> {
  const journal = ops.requireJournal();
  const job = ops.stuck.get(opId) ?? ops.jobs.find((j) => j.rec.opId === opId);
  const rec = job?.rec ?? journal.byOpId(opId);
  // A stuck job may hold a record already journaled 'unresolvable' (a session claimed it after): open.
  if (!rec || (rec.state === 'done' && !ops.stuck.has(opId))) throw new PayPointError(ErrorCode.DeviceNotReady, `VTK: no open operation ${opId}`, { opId });
  ops.stuck.delete(opId);
  ops.jobs = ops.jobs.filter((j) => j.rec.opId !== opId);
  await journal.put({ ...rec, state: 'done', result: 'settled-by-hand', reason: result, at: Date.now() });
  log.warn({ device: name, opId, opNumber: rec.opNumber, result }, 'VTK: operation settled by hand');
  await ops.deliver(result === 'approved' ? { opId, result, amount: rec.amount, ref } : { opId, result, reason: 'settled by hand' });
}
