/**
 * VM check "power cuts": qemu is SIGKILLed at random moments while payments run (cash through the
 * simulation control, card approvals and declines, cancels, polls) and sometimes while the machine boots;
 * the data disk is opened with cache=none (the guest's page cache is lost, everything it submitted is
 * on the disk) or through the NBD write-cache model (unflushed writes are dropped or torn at the cut).
 * After every reboot: the daemon becomes ready by itself (the store loads, no operator), every uid whose
 * Pay was answered 0 is known, every credit the simulator confirmed is in its session, a confirmed card
 * approval is paid and a confirmed cancel is no longer paying, no credit is stored that was never
 * inserted, PayPoll agrees with the stored state, and the datafile has no corrupt line.
 */
import { rng } from '../helpers/rng.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pollResult } from '../../src/payment/session.js';
import { payXml, pollXml, returnCode } from '../helpers/daemon.js';
import { newestByUid, readDatafile } from '../../src/services/store/session-file-reader.js';
import type { ProcessingServer } from '../services/reports/processing-server.js';
import { check, note } from './tap.js';
import { sleep, Vm } from './vm.js';

/** mulberry32: small, seedable. */

const COINS = [100, 200, 500, 1000];

interface Tracked {
  uid: string;
  sent: number[];
  confirmed: number[];
  cardApproved: boolean;
  cancelConfirmed: boolean;
}

interface Ops {
  pay0: number;
  credits: number;
  cards: number;
  cancels: number;
  polls: number;
}

function missingFrom(from: number[], sub: number[]): number[] {
  const left = [...from];
  const missing: number[] = [];
  for (const v of sub) {
    const i = left.indexOf(v);
    if (i < 0) missing.push(v);
    else left.splice(i, 1);
  }
  return missing;
}

export interface PowerCutOptions {
  label: string;
  cuts: number;
  seed: number;
  /** Started before each boot (the NBD server), stopped after each cut (which then drops/tears). */
  beforeBoot?: () => Promise<void>;
  afterCut?: () => Promise<string>;
  readyTimeoutMs?: number;
  /**
   * The processing server stand-in on the machine's reports network (check-reports.ts): the daemon is
   * pointed at it after the first boot, and after the last boot every session PayPoll calls paid must
   * have arrived (Register true). The contract's delivery is at least once (a report sent just before a
   * cut is sent again, the uid makes the repeat harmless): repeats are counted, never a missing one.
   */
  reports?: { server: ProcessingServer; configure: (vm: Vm) => Promise<boolean> };
}

/** After the last boot: the outbox drains and every session PayPoll calls paid was accepted by the stand-in. */
async function reportsArrived(vm: Vm, server: ProcessingServer, uids: Iterable<string>, poll: (uid: string) => Promise<number>): Promise<string[]> {
  let depth: unknown = -1;
  for (let i = 0; i < 240 && depth !== 0; i++) {
    const r = await vm.http(vm.ports.status, '/api/status').catch(() => ({ body: '' }));
    try {
      depth = (JSON.parse(r.body) as { outbox: { depth: number } }).outbox.depth;
    } catch {
      depth = r.body.slice(0, 100);
    }
    if (depth !== 0) await sleep(1000);
  }
  const accepted = new Map<string, number>();
  for (const r of server.accepted()) accepted.set(r.values?.uid ?? '', (accepted.get(r.values?.uid ?? '') ?? 0) + 1);
  // The uids this check paid, and any other the stand-in accepted: a session of an earlier check (boot's
  // card payment, queued while no processing server was configured) is delivered here too, and is
  // counted as paid only if PayPoll says so.
  const paid: string[] = [];
  for (const uid of new Set([...uids, ...accepted.keys()])) if ((await poll(uid)) === 0) paid.push(uid);
  const missing = paid.filter((u) => !accepted.has(u));
  const unpaid = [...accepted.keys()].filter((u) => !paid.includes(u));
  const invalid = server.received().filter((r) => r.result === 'invalid' || r.result === 'fault');
  const repeats = [...accepted].filter(([, n]) => n > 1);
  note(`reports after the cuts: ${paid.length} paid sessions, ${accepted.size} uids accepted by the stand-in, ${repeats.length} sent again after a cut (${server.received().length} requests)`);
  const out: string[] = [];
  if (depth !== 0) out.push(`outbox depth after the last boot: ${String(depth)}`);
  if (missing.length) out.push(`paid sessions whose report never arrived: ${missing.join(', ')}`);
  if (unpaid.length) out.push(`reports of sessions that are not paid: ${unpaid.join(', ')}`);
  if (invalid.length) out.push(`reports refused by the strict schema: ${invalid.map((r) => r.raw.slice(0, 200)).join(' | ')}`);
  return out;
}

export async function runPowerCuts(vm: Vm, o: PowerCutOptions): Promise<boolean> {
  const rnd = rng(o.seed);
  const tracked = new Map<string, Tracked>();
  const ops: Ops = { pay0: 0, credits: 0, cards: 0, cancels: 0, polls: 0 };
  let current: string | null = null;
  let n = 0;
  let earlyCuts = 0;
  const problems: string[] = [];
  const started = Date.now();
  const track = (uid: string): Tracked => {
    let t = tracked.get(uid);
    if (!t) tracked.set(uid, (t = { uid, sent: [], confirmed: [], cardApproved: false, cancelConfirmed: false }));
    return t;
  };
  note(`${o.label}: seed ${o.seed} (repeat with POWERCUT_SEED=${o.seed}), ${o.cuts} cuts`);

  const soapCode = async (body: string): Promise<number> => {
    const r = await vm.soap(body);
    const c = returnCode(r.body);
    if (c === null) throw new Error(`SOAP fault: HTTP ${r.status} ${r.body.slice(0, 200)}`);
    return c;
  };

  /** After a boot: the stored state and PayPoll against everything that was acknowledged. */
  const verify = async (life: number): Promise<string[]> => {
    const out: string[] = [];
    let session: { uid: string; state: string } | null = null;
    for (let i = 0; ; i++) {
      const st = await vm.sim({ cmd: 'status' });
      session = st.ok ? ((st.data as { session: { uid: string; state: string } | null }).session ?? null) : null;
      if (!session || session.state === 'paying') break;
      if (i > 120) {
        out.push(`session ${session.uid} stuck in ${session.state}`);
        break;
      }
      await sleep(500);
    }
    current = session?.uid ?? null;
    if (session) track(session.uid); // its Pay's answer may have been lost in the cut
    const uids = [...tracked.keys()];
    const polled: number[] = [];
    for (const uid of uids) polled.push(await soapCode(pollXml(uid)));
    ops.polls += uids.length;
    const dir = mkdtempSync(join(tmpdir(), 'paypoint-vm-cut-'));
    try {
      writeFileSync(join(dir, 'sessions.db'), await vm.shell('cat /var/lib/paypoint/sessions.db'));
      const snap = readDatafile(dir);
      if (snap.corruptLines.length) out.push(`corrupt lines in sessions.db: ${snap.corruptLines.map((l) => l.slice(0, 80)).join(' | ')}`);
      const newest = newestByUid(snap.sessions);
      for (const [i, uid] of uids.entries()) {
        const tr = tracked.get(uid)!;
        const s = newest.get(uid);
        if (polled[i] === -4) out.push(`${uid}: PayPoll -4 (unknown) after the cut`);
        if (!s) {
          out.push(`${uid}: Pay answered 0 but the session is not in the store`);
          continue;
        }
        const cash = s.credits.filter((c) => c.source !== 'card').map((c) => c.value);
        const lost = missingFrom(cash, tr.confirmed);
        if (lost.length) out.push(`${uid}: confirmed credits missing: ${lost.join(',')} (stored ${cash.join(',')})`);
        const phantom = missingFrom(tr.sent, cash);
        if (phantom.length) out.push(`${uid}: stored credits never inserted: ${phantom.join(',')}`);
        if (tr.cardApproved && !(s.credits.some((c) => c.source === 'card') && (s.state === 'paid' || s.state === 'dispensing'))) {
          out.push(`${uid}: card approval confirmed but stored state is ${s.state}`);
        }
        if (tr.cancelConfirmed && s.state === 'paying' && s.cancelRequested === null) out.push(`${uid}: cancel confirmed but still paying`);
        if (pollResult(s) !== polled[i]) {
          const again = await soapCode(pollXml(uid));
          writeFileSync(join(dir, 'sessions.db'), await vm.shell('cat /var/lib/paypoint/sessions.db'));
          const s2 = newestByUid(readDatafile(dir).sessions).get(uid);
          if (!s2 || pollResult(s2) !== again) out.push(`${uid}: PayPoll ${polled[i]} then ${again}, stored ${s.state} then ${s2?.state}`);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    if (out.length) out.unshift(`after cut ${life} (seed ${o.seed}):`);
    return out;
  };

  const step = async (): Promise<void> => {
    if (current === null) {
      const uid = `vm-${o.seed}-${n++}`;
      const amount = 300 + 100 * Math.floor(rnd() * 28);
      const r = await soapCode(payXml(uid, amount, [{ id: '1', name: 'item', count: 1, cost: amount }]));
      if (r === 0) {
        track(uid);
        current = uid;
        ops.pay0++;
      } else if (r === -2) {
        const st = await vm.sim({ cmd: 'status' });
        const s = st.ok ? (st.data as { session: { uid: string; state: string } | null }).session : null;
        if (s && s.state === 'paying') {
          track(s.uid);
          current = s.uid;
        } else await sleep(100);
      } else throw new Error(`Pay answered ${r}`);
      return;
    }
    const tr = tracked.get(current)!;
    const x = tr.sent.length === 0 && rnd() < 0.3 ? 0.55 : rnd();
    if (x < 0.5) {
      const bill = x < 0.05;
      const value = bill ? 5000 : COINS[Math.floor(rnd() * COINS.length)];
      tr.sent.push(value);
      const r = await vm.sim({ cmd: bill ? 'bill' : 'coin', value });
      if (r.ok) {
        tr.confirmed.push(value);
        ops.credits++;
      }
    } else if (x < 0.6) {
      const r = await vm.sim({ cmd: 'card', action: 'approve' });
      if (r.ok) {
        tr.cardApproved = true;
        ops.cards++;
        current = null;
      }
    } else if (x < 0.65) {
      await vm.sim({ cmd: 'card', action: 'decline' });
    } else if (x < 0.75) {
      const r = await vm.sim({ cmd: 'cancel' });
      if (r.ok) {
        tr.cancelConfirmed = true;
        ops.cancels++;
        current = null;
      }
    } else {
      const r = await soapCode(pollXml(tr.uid));
      if (r === 0 || r === 2) current = null;
      if (r === -4) throw new Error(`PayPoll -4 for ${tr.uid} while paying`);
    }
  };

  /** What systemd and the daemon's journal say of this boot, for a failure's message. */
  const daemonState = (): Promise<string> =>
    vm
      .shell(
        'systemctl is-system-running; systemctl --failed --no-legend; systemctl show paypoint -p NRestarts -p ActiveState -p ExecMainStartTimestampMonotonic; ' +
          'journalctl -b -u paypoint -n 25 --no-pager -o cat',
        60_000,
      )
      .catch((e: Error) => `guest shell: ${e.message}`);

  let readyFailures = 0;
  // However the loop ends (a thrown error included), no machine is left running: an orphaned TCG guest
  // takes a core for hours and skews every timing that runs after it (seen).
  try {
    for (let cut = 0; cut <= o.cuts; cut++) {
      const last = cut === o.cuts; // one more boot after the last cut: verified, then stopped cleanly
      await o.beforeBoot?.();
      const t0 = Date.now();
      await vm.start();
      if (!last && cut > 0 && rnd() < 0.15) {
        // A cut while the machine boots (kernel, fsck, journal replay, the store's load and rewrite).
        const at = 3000 + rnd() * 45_000;
        await sleep(at);
        await vm.cut();
        earlyCuts++;
        const extra = (await o.afterCut?.()) ?? '';
        note(`${o.label} cut ${cut + 1}/${o.cuts}: during boot, ${(at / 1000).toFixed(1)} s after power-on ${extra}`);
        continue;
      }
      if (!(await vm.waitReady(o.readyTimeoutMs ?? 480_000))) {
        readyFailures++;
        const state = await daemonState();
        problems.push(
          `boot ${cut}: the daemon did not become ready in ${((Date.now() - t0) / 1000).toFixed(0)} s (store did not load?)`,
          state,
          'console tail:',
          vm.consoleText().split('\n').slice(-12).join('\n'),
        );
        await vm.cut();
        await o.afterCut?.();
        break;
      }
      const bootS = (Date.now() - t0) / 1000;
      if (cut === 0 && o.reports && !(await o.reports.configure(vm))) {
        problems.push('the daemon did not restart with the processing server configured');
        await vm.cut();
        break;
      }
      // A transport error here (the daemon closing a connection, a restart) is a finding to explain, not a crash.
      const found = await verify(cut).catch(async (e: Error) => [`after cut ${cut} (seed ${o.seed}): checking failed: ${e.message}`, await daemonState()]);
      problems.push(...found);
      if (found.length) {
        await vm.cut();
        await o.afterCut?.();
        break;
      }
      if (last) {
        if (o.reports) problems.push(...(await reportsArrived(vm, o.reports.server, tracked.keys(), (uid) => soapCode(pollXml(uid)))));
        await vm.stop();
        note(`${o.label} final boot: ready in ${bootS.toFixed(1)} s, everything acknowledged is there; clean poweroff`);
        break;
      }
      const before = { ...ops };
      const runFor = 500 + rnd() * 12_000;
      const deadline = Date.now() + runFor;
      let error: unknown = null;
      while (Date.now() < deadline) {
        try {
          await step();
        } catch (e) {
          error = e;
          break;
        }
      }
      if (error) {
        problems.push(`payments failed before the cut ${cut + 1}: ${(error as Error).message}`, await daemonState());
        await vm.cut();
        await o.afterCut?.();
        break;
      }
      await vm.cut();
      const extra = (await o.afterCut?.()) ?? '';
      note(
        `${o.label} cut ${cut + 1}/${o.cuts}: ready ${bootS.toFixed(1)} s after power-on, cut after ${(runFor / 1000).toFixed(1)} s of payments: ` +
          `+${ops.pay0 - before.pay0} Pay, +${ops.credits - before.credits} credits, +${ops.cards - before.cards} cards, +${ops.cancels - before.cancels} cancels acknowledged ${extra}`,
      );
    }
  } finally {
    if (vm.alive()) await vm.cut();
  }
  note(
    `${o.label}: ${o.cuts} cuts (${earlyCuts} during boot) in ${((Date.now() - started) / 1000).toFixed(0)} s; acknowledged in all: ` +
      `${ops.pay0} Pay, ${ops.credits} credits, ${ops.cards} card approvals, ${ops.cancels} cancels; ${ops.polls} PayPolls checked after reboots`,
  );
  return check(`${o.label}: ${o.cuts} cuts (seed ${o.seed}), the store loads by itself and nothing acknowledged is lost`, problems.length === 0 && readyFailures === 0, ...problems);
}
