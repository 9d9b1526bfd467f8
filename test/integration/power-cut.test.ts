/**
 * Power cut (docs/design.md): scripted sessions against the REAL daemon, killed with SIGKILL at random
 * moments, at least 200 times, on the same data directory across restarts. After each kill and restart:
 * every uid that got Pay 0 is known (PayPoll != -4), every credit the simulator confirmed is in its session
 * (and no credit is there that was never inserted), a confirmed card approval or cancel is stored,
 * PayPoll agrees with the stored state, and the store loads; and the cash adds up (payment/daily-totals.ts):
 * for every denomination, what the records say was taken and paid out equals the inventory counters the
 * store wrote with them. Some kills land while the daemon starts (store load and its rewrite of the
 * datafile included). `make test-kill KILLS=N` runs this test alone with N kills.
 *
 * Several lanes (independent daemons and data directories) run side by side so that one daemon's start
 * overlaps another's work. Reproduce a run with POWER_CUT_SEED=<seed printed below>; POWER_CUT_KILLS and
 * POWER_CUT_LANES change the size.
 */
import { rng } from '../helpers/rng.js';
import t, { type Test } from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { dirname, join } from 'node:path';
import { sendSimCommand } from '../../src/cli/sim-client.js';
import { pollResult } from '../../src/payment/session.js';
import type { SimCommand, SimReply } from '../../src/services/sim-control/sim-control-protocol.js';
import { simSocketPath } from '../../src/services/sim-control/sim-control-protocol.js';
import { SessionStore } from '../../src/services/store/session-store.js';
import { BIN, freePort, payXml, pollXml, returnCode, tempDir } from '../helpers/daemon.js';
import { newestByUid, readDatafile } from '../../src/services/store/session-file-reader.js';
import { readCaseInputs } from '../../src/services/store/case-files.js';
import { sinceCollectionTotals } from '../../src/payment/daily-totals.js';

const SEED = Number(process.env.POWER_CUT_SEED ?? Date.now() % 2 ** 31);
const KILLS = Number(process.env.POWER_CUT_KILLS ?? 200);
const LANES = Number(process.env.POWER_CUT_LANES ?? 2);
// The status page's fixed default port would collide between lanes: off.
const CONFIG = '[status]\nenabled = false\n[led]\nenabled = false\n';
const COINS = [100, 200, 500, 1000];

/** mulberry32: small, seedable, good enough to pick actions and delays. */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What the test knows about one session: what the daemon confirmed, and everything it was sent. */
interface Tracked {
  uid: string;
  /** Pay answered 0 (false: adopted from the daemon after a Pay whose answer was lost in a kill). */
  payConfirmed: boolean;
  /** Cash values sent, confirmed or not (a stored credit must be one of them). */
  sent: number[];
  /** Cash values the simulator confirmed (reply ok): each must be stored. */
  confirmed: number[];
  cardApproved: boolean;
  cancelConfirmed: boolean;
}

interface Lane {
  id: number;
  rnd: () => number;
  dataDir: string;
  configFile: string;
  tracked: Map<string, Tracked>;
  current: string | null;
  kills: number;
  earlyKills: number;
  ops: { pay0: number; credits: number; cards: number; cancels: number; polls: number };
}

const agent = new Agent({ keepAlive: true, maxSockets: 16 });

function post(port: number, body: string): Promise<string> {
  return new Promise((res, rej) => {
    const req = request({ host: '127.0.0.1', port, path: '/', method: 'POST', agent, headers: { 'Content-Type': 'text/xml; charset=utf-8' }, timeout: 15_000 }, (r) => {
      let b = '';
      r.setEncoding('utf8');
      r.on('data', (d) => (b += d));
      r.on('end', () => (r.statusCode === 200 ? res(b) : rej(new Error(`HTTP ${r.statusCode}: ${b.slice(0, 200)}`))));
      r.on('error', rej);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', rej);
    req.end(body);
  });
}

async function soapCall(port: number, body: string): Promise<number> {
  const code = returnCode(await post(port, body));
  if (code === null) throw new Error('SOAP fault');
  return code;
}

function sim(d: DaemonProcess, cmd: SimCommand): Promise<SimReply> {
  return sendSimCommand(simSocketPath(d.dataDir, d.port), cmd, 15_000);
}

/** Removes one occurrence of each of `sub` from `from`; returns what could not be found. */
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

async function pool<T, R>(items: T[], n: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]);
      }
    }),
  );
  return out;
}

function track(lane: Lane, uid: string, payConfirmed: boolean): Tracked {
  let tr = lane.tracked.get(uid);
  if (!tr) {
    tr = { uid, payConfirmed, sent: [], confirmed: [], cardApproved: false, cancelConfirmed: false };
    lane.tracked.set(uid, tr);
  }
  tr.payConfirmed ||= payConfirmed;
  return tr;
}

/** Identity checks done (for the closing comment). */
const identity = { checks: 0, denominations: 0 };

/**
 * The cash adds up: opening + taken + refilled - change - refunds - collected = inside for every
 * denomination, the records against the counters written with them (no collection in this script: the
 * opening is the empty inventory).
 */
async function checkIdentity(dataDir: string, where: string): Promise<string[]> {
  const tot = sinceCollectionTotals(await readCaseInputs(dataDir), Date.now());
  identity.checks++;
  identity.denominations += tot.denominations.length;
  const bad = tot.denominations.filter((l) => l.difference !== 0);
  const counters = readDatafile(dataDir).ledger.inventory;
  const out = bad.map((l) => `${where}: the cash does not add up for ${l.value}: ${JSON.stringify(l)}`);
  const inside = Object.fromEntries(tot.denominations.filter((l) => l.inside !== 0).map((l) => [String(l.value), l.inside]));
  const perValue: Record<string, number> = {};
  for (const c of [counters.cassette, counters.box, counters.hoppers]) for (const [k, n] of Object.entries(c)) perValue[k] = (perValue[k] ?? 0) + n;
  for (const k of Object.keys(perValue)) if (perValue[k] === 0) delete perValue[k];
  if (JSON.stringify(Object.entries(inside).sort()) !== JSON.stringify(Object.entries(perValue).sort())) out.push(`${where}: totals' inside ${JSON.stringify(inside)} != counters ${JSON.stringify(perValue)}`);
  return out;
}

/** The store as the killed daemon left it: what was confirmed must be there, nothing else may be. */
async function checkAfterKill(lane: Lane, life: number): Promise<string[]> {
  const problems: string[] = [];
  const snap = readDatafile(lane.dataDir);
  if (snap.corruptLines.length) problems.push(`corrupt lines: ${snap.corruptLines.map((l) => l.slice(0, 80)).join(' | ')}`);
  const newest = newestByUid(snap.sessions);
  for (const tr of lane.tracked.values()) {
    const s = newest.get(tr.uid);
    if (!s) {
      problems.push(`${tr.uid}: Pay answered 0 but the session is not in the store`);
      continue;
    }
    const cash = s.credits.filter((c) => c.source !== 'card').map((c) => c.value);
    const lost = missingFrom(cash, tr.confirmed);
    if (lost.length) problems.push(`${tr.uid}: confirmed credits missing from the store: ${lost.join(',')} (stored ${cash.join(',')})`);
    const phantom = missingFrom(tr.sent, cash);
    if (phantom.length) problems.push(`${tr.uid}: stored credits never inserted: ${phantom.join(',')}`);
    const sum = s.credits.reduce((a, c) => a + c.value, 0);
    if (sum !== s.credited) problems.push(`${tr.uid}: credited ${s.credited} != sum of credits ${sum}`);
    if (tr.cardApproved && !(s.credits.some((c) => c.source === 'card') && (s.state === 'paid' || s.state === 'dispensing'))) {
      problems.push(`${tr.uid}: card approval confirmed but stored state is ${s.state} without a card credit`);
    }
    if (tr.cancelConfirmed && s.state === 'paying' && s.cancelRequested === null) problems.push(`${tr.uid}: cancel confirmed but the session is still paying`);
  }
  const unfinished = snap.sessions.filter((s) => s.state !== 'paid' && s.state !== 'cancelled');
  if (unfinished.length > 1) problems.push(`${unfinished.length} unfinished sessions at once: ${unfinished.map((s) => s.uid).join(',')}`);
  problems.push(...(await checkIdentity(lane.dataDir, 'after the kill')));
  if (problems.length) problems.unshift(`lane ${lane.id} life ${life} (seed ${SEED})`);
  return problems;
}

/**
 * After a restart: wait until a resumed payout has finished, then every known uid must answer PayPoll
 * (not -4) and agree with the stored state.
 */
async function checkRunning(lane: Lane, d: DaemonProcess, life: number): Promise<string[]> {
  const problems: string[] = [];
  let session: { uid: string; state: string } | null = null;
  for (let i = 0; ; i++) {
    const st = await sim(d, { cmd: 'status' });
    session = st.ok ? ((st.data as { session: { uid: string; state: string } | null }).session ?? null) : null;
    if (!session || session.state === 'paying') break;
    if (i > 500) {
      problems.push(`session ${session.uid} stuck in ${session.state}`);
      break;
    }
    await sleep(10);
  }
  lane.current = session?.uid ?? null;
  if (session && !lane.tracked.has(session.uid)) track(lane, session.uid, false); // its Pay's answer was lost in the kill

  const uids = [...lane.tracked.keys()];
  const polled = await pool(uids, 8, (uid) => soapCall(d.port, pollXml(uid)));
  const snap = readDatafile(lane.dataDir);
  if (snap.corruptLines.length) problems.push(`corrupt lines after restart: ${snap.corruptLines.length}`);
  const newest = newestByUid(snap.sessions);
  for (const [i, uid] of uids.entries()) {
    if (polled[i] === -4) problems.push(`${uid}: PayPoll -4 (unknown) after restart`);
    const s = newest.get(uid);
    if (s && pollResult(s) !== polled[i]) {
      // The inactivity timeout may have ended the session between the poll and the read: ask again.
      const again = await soapCall(d.port, pollXml(uid));
      const s2 = newestByUid(readDatafile(lane.dataDir).sessions).get(uid);
      if (!s2 || pollResult(s2) !== again) problems.push(`${uid}: PayPoll ${polled[i]} then ${again} but stored state ${s.state} then ${s2?.state}`);
    }
  }
  lane.ops.polls += uids.length;
  problems.push(...(await checkIdentity(lane.dataDir, 'after the restart')));
  if (problems.length) problems.unshift(`lane ${lane.id} after restart ${life} (seed ${SEED})`);
  return problems;
}

/** One customer action, chosen by the lane's PRNG; records what the daemon confirmed. */
async function step(lane: Lane, d: DaemonProcess, n: number): Promise<void> {
  const rnd = lane.rnd;
  if (lane.current === null) {
    const uid = `L${lane.id}-${SEED}-${n}`;
    const amount = 300 + 100 * Math.floor(rnd() * 28);
    const items = Array.from({ length: Math.floor(rnd() * 3) }, (_, i) => ({ id: String(i), name: `item ${i}`, count: i === 1 ? '0.5' : 1, cost: 100 }));
    const r = await soapCall(d.port, payXml(uid, amount, items));
    if (r === 0) {
      track(lane, uid, true);
      lane.current = uid;
      lane.ops.pay0++;
    } else if (r === -2) {
      // Busy: a payout still running, or a session whose Pay answer we never got.
      const st = await sim(d, { cmd: 'status' });
      const s = st.ok ? (st.data as { session: { uid: string; state: string } | null }).session : null;
      if (s && s.state === 'paying') {
        track(lane, s.uid, false);
        lane.current = s.uid;
      } else await sleep(5);
    } else throw new Error(`lane ${lane.id}: Pay answered ${r}`);
    return;
  }
  const tr = lane.tracked.get(lane.current)!;
  // A fresh session is offered the card (contract 2.3) until cash comes: approve it now and then.
  const x = tr.sent.length === 0 && rnd() < 0.3 ? 0.55 : rnd();
  if (x < 0.5) {
    const bill = x < 0.05;
    const value = bill ? 5000 : COINS[Math.floor(rnd() * COINS.length)];
    tr.sent.push(value);
    const r = await sim(d, { cmd: bill ? 'bill' : 'coin', value });
    if (r.ok) {
      tr.confirmed.push(value);
      lane.ops.credits++;
    }
  } else if (x < 0.6) {
    const r = await sim(d, { cmd: 'card', action: 'approve' });
    if (r.ok) {
      tr.cardApproved = true;
      lane.ops.cards++;
      lane.current = null;
    }
  } else if (x < 0.65) {
    await sim(d, { cmd: 'card', action: 'decline' });
  } else if (x < 0.75) {
    const r = await sim(d, { cmd: 'cancel' });
    if (r.ok) {
      tr.cancelConfirmed = true;
      lane.ops.cancels++;
      lane.current = null;
    }
  } else {
    const r = await soapCall(d.port, pollXml(tr.uid));
    if (r === 0 || r === 2) lane.current = null;
    if (r === -4) throw new Error(`lane ${lane.id}: PayPoll -4 for ${tr.uid} while paying`);
  }
}

/** A kill while the daemon starts: module loading, lock, store load (which rewrites the datafile). */
async function earlyKill(lane: Lane): Promise<void> {
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, 'serve', '--data-dir', lane.dataDir, '--port', String(port), '--config', lane.configFile], { stdio: 'ignore', env: DAEMON_ENV });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  await sleep(100 + lane.rnd() * 1500);
  child.kill('SIGKILL');
  await exited;
}

/** A daemon of one lane: the real `bin/paypoint serve` on the lane's data directory. */
interface DaemonProcess {
  child: ChildProcess;
  port: number;
  dataDir: string;
  exited: Promise<number | null>;
}

/**
 * The daemon's environment: this process's, without tap's NODE_OPTIONS (its --import of coverage hooks
 * would be loaded into every daemon: slower starts, and a dependency on tap's own packages).
 */
const DAEMON_ENV: NodeJS.ProcessEnv = { ...process.env };
delete DAEMON_ENV.NODE_OPTIONS;

/** Daemons alive now, killed if the test ends early. */
const alive = new Set<DaemonProcess>();
let aborted = false;

/**
 * Starts the daemon on the lane's directory and waits for its "ready" line (generously: on a shared,
 * overloaded machine a start can take many seconds). A failure to start after a kill is a finding (the
 * store must load), except bin/paypoint failing to import dist/: that is dist/ being rebuilt in a shared
 * working tree, retried.
 */
async function start(lane: Lane): Promise<DaemonProcess> {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child = spawn(process.execPath, [BIN, 'serve', '--data-dir', lane.dataDir, '--port', String(port), '--config', lane.configFile], { stdio: ['ignore', 'pipe', 'pipe'], env: DAEMON_ENV });
    const d: DaemonProcess = { child, port, dataDir: lane.dataDir, exited: new Promise((r) => child.on('exit', (code) => r(code))) };
    alive.add(d);
    void d.exited.then(() => alive.delete(d));
    let stderr = '';
    child.stderr!.on('data', (x) => (stderr += x));
    const ready = await new Promise<boolean>((res) => {
      let buf = '';
      const timer = setTimeout(() => res(false), 180_000);
      child.stdout!.on('data', (x: Buffer) => {
        buf += x.toString();
        if (buf.includes('"msg":"ready"')) {
          clearTimeout(timer);
          child.stdout!.removeAllListeners('data');
          child.stdout!.resume();
          res(true);
        }
      });
      void d.exited.then(() => {
        clearTimeout(timer);
        res(false);
      });
    });
    if (ready) return d;
    child.kill('SIGKILL');
    await d.exited;
    if (attempt < 5 && /paypoint: cannot start \(|ENOENT[^\n]*\/dist\//.test(stderr)) {
      await sleep(3000);
      continue;
    }
    throw new Error(`lane ${lane.id}: the daemon did not start (seed ${SEED}): ${stderr.trim() || 'no ready line in 180 s'}`);
  }
}

async function stop(d: DaemonProcess): Promise<number | null> {
  d.child.kill('SIGTERM');
  return d.exited;
}

async function runLane(t: Test, lane: Lane, quota: number): Promise<void> {
  let n = 0;
  for (let life = 0; lane.kills < quota && !aborted; life++) {
    if (life > 0 && lane.rnd() < 0.15) {
      await earlyKill(lane);
      lane.kills++;
      lane.earlyKills++;
      continue;
    }
    const d = await start(lane);
    let dead = false;
    let killed = false;
    const exited = new Promise<void>((r) => d.child.on('exit', () => ((dead = true), r())));
    const running = await checkRunning(lane, d, life);
    if (running.length) t.fail(running.join('\n  '));
    const killAfter = 20 + lane.rnd() * 600;
    const killer = setTimeout(() => {
      killed = true;
      d.child.kill('SIGKILL');
    }, killAfter);
    while (!dead) {
      try {
        await step(lane, d, n++);
      } catch (e) {
        // Errors are expected once the kill is sent (connections reset, socket gone); before it, they are failures.
        if (!killed) {
          clearTimeout(killer);
          d.child.kill('SIGKILL');
          await exited;
          throw e;
        }
        await sleep(1);
      }
    }
    clearTimeout(killer);
    await exited;
    lane.kills++;
    const after = await checkAfterKill(lane, life);
    if (after.length) t.fail(after.join('\n  '));
  }
}

// A guard against a hang, not a speed target: ~3-4 minutes on an idle 2-core machine, much more when
// the machine is shared (every kill costs a daemon start).
t.setTimeout(30 * 60_000);

t.test(`power cut: ${KILLS} SIGKILLs at random moments (seed ${SEED})`, async (t) => {
  t.comment(`seed ${SEED}: repeat with POWER_CUT_SEED=${SEED}`);
  const lanes: Lane[] = Array.from({ length: LANES }, (_, id) => {
    const dataDir = tempDir('paypoint-powercut-');
    const configFile = join(tempDir('paypoint-powercut-cfg-'), 'paypoint.toml');
    writeFileSync(configFile, CONFIG);
    return { id, rnd: rng(SEED + id * 7919), dataDir, configFile, tracked: new Map(), current: null, kills: 0, earlyKills: 0, ops: { pay0: 0, credits: 0, cards: 0, cancels: 0, polls: 0 } };
  });
  t.teardown(() => {
    for (const d of alive) d.child.kill('SIGKILL');
    agent.destroy();
  });
  const failsBefore = t.counts.fail;
  await Promise.all(
    lanes.map((l) =>
      runLane(t, l, Math.ceil(KILLS / LANES)).catch((e) => {
        aborted = true; // stop the other lanes too
        throw e;
      }),
    ),
  );

  // The end: one more life per lane, checked, stopped cleanly; then the store loads in this process and
  // holds everything that was confirmed.
  for (const lane of lanes) {
    const d = await start(lane);
    const running = await checkRunning(lane, d, -1);
    t.same(running, [], `lane ${lane.id}: final restart agrees`);
    t.equal(await stop(d), 0, `lane ${lane.id}: clean stop`);
    const store = await SessionStore.open(lane.dataDir);
    const missing: string[] = [];
    for (const tr of lane.tracked.values()) {
      const [s] = await store.byUid(tr.uid, 0);
      if (!s) missing.push(tr.uid);
      else if (missingFrom(s.credits.filter((c) => c.source !== 'card').map((c) => c.value), tr.confirmed).length) missing.push(`${tr.uid} (credits)`);
    }
    t.same(missing, [], `lane ${lane.id}: the store loads and holds every accepted session and confirmed credit`);
    t.equal(store.failure, null, `lane ${lane.id}: the store reports no failure`);
    t.comment(`lane ${lane.id}: ${lane.kills} kills (${lane.earlyKills} during start), ${lane.ops.pay0} Pay 0, ${lane.ops.credits} confirmed credits, ${lane.ops.cards} card approvals, ${lane.ops.cancels} cancels, ${lane.ops.polls} PayPolls checked after restarts`);
    rmSync(dirname(lane.configFile), { recursive: true, force: true });
  }
  t.comment(`cash identity checked ${identity.checks} times (after every kill of a running daemon and every restart; a kill during a start is followed by a checked restart), ${identity.denominations} denomination lines`);
  t.ok(identity.checks >= KILLS, 'the cash identity was checked after every kill');
  const total = lanes.reduce((a, l) => a + l.kills, 0);
  t.ok(total >= KILLS, `${total} kills in total`);
  t.equal(t.counts.fail, failsBefore, 'no check failed after any kill');
  t.ok(lanes.every((l) => l.ops.pay0 > 0 && l.ops.credits > 0), 'sessions were paid and credited in every lane (the script did something)');
  for (const l of lanes) rmSync(l.dataDir, { recursive: true, force: true });
});
