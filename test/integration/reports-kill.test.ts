/**
 * Kill test (docs/contract.md, "3. The report"): payments are made while the 1C server flaps (answers true, 502, false, a fault, a
 * body that is not XML) and the real daemon is SIGKILLed at random moments, at least 100 times. Then:
 *  - every uid whose PayPoll answered 0 reached the server (was accepted with `true`) at least once;
 *  - the only repeats are reports that were in flight at a kill: no uid reaches the server again after
 *    the daemon durably marked it delivered (its debug log line "reports marked delivered" comes after
 *    the fsync). A report answered `true` but not yet marked when the daemon died, or whose answer the
 *    daemon never got, is sent again: the repeats the contract allows; they are counted and printed;
 *  - every report the server took carries the values of its payment.
 * Needs dist/ (make build).
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSessionDocs } from '../../src/services/reports/outbox-snapshot.js';
import { BIN, freePort, startDaemonProcess, tempDir } from '../helpers/daemon.js';
import { startProcessingServer, type Mode } from '../services/reports/processing-server.js';
import { AMOUNT, daemonToml, ITEMS, pay } from './reports-helpers.js';
import { waitFor } from '../helpers/wait.js';

const KILLS = Number(process.env.PAYPOINT_KILLS ?? 100);
// Minutes on a loaded 2-core machine: more than the suite's default per-file timeout.
t.setTimeout(900_000);

t.test(`${KILLS} SIGKILLs while paying and the server flaps: every paid uid delivered, repeats only of reports in flight`, async (t) => {
  const srv = await startProcessingServer();
  t.teardown(() => srv.stop());
  const dataDir = tempDir();
  const port = await freePort();
  const cfgFile = join(tempDir('paypoint-cfg-'), 'paypoint.toml');
  writeFileSync(cfgFile, daemonToml(srv.url, 30, 'debug'));
  const kiosk = { url: `http://127.0.0.1:${port}/`, dataDir, port };

  const modes: Mode[] = ['ok', 'ok', 'ok', 'ok', 'html502', 'false', 'fault', 'notxml'];
  let flapping = true;
  const flapper = (async () => {
    while (flapping) {
      await srv.control(modes[Math.floor(Math.random() * modes.length)]).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 300));
    }
  })();

  const kills: number[] = [];
  /** uid -> attempts the daemon saw fail (any class but true), with time: from its debug log. */
  const noAnswer = new Map<string, Array<{ at: number; cls: string }>>();
  /** uid -> when the daemon had it durably marked delivered. */
  const marked = new Map<string, number>();
  const noteLog = (line: string) => {
    if (line.includes('reports marked delivered')) {
      try {
        const l = JSON.parse(line) as { uids: string[]; time: string };
        for (const u of l.uids) if (!marked.has(u)) marked.set(u, Date.parse(l.time));
      } catch {
        /* a line cut by the kill */
      }
      return;
    }
    if (!line.includes('report attempt failed')) return;
    try {
      const l = JSON.parse(line) as { uid: string; cls: string; time: string };
      noAnswer.set(l.uid, [...(noAnswer.get(l.uid) ?? []), { at: Date.parse(l.time), cls: l.cls }]);
    } catch {
      /* a line cut by the kill */
    }
  };
  const paid = new Set<string>();
  const tried = new Map<string, 'cash' | 'card'>();
  let killedBeforeReady = 0;
  const started = Date.now();
  for (let round = 0; round < KILLS; round++) {
    const child = spawn(process.execPath, [BIN, 'serve', '--data-dir', dataDir, '--port', String(port), '--config', cfgFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<void>((r) => child.on('exit', () => r()));
    let alive = true;
    let ready = false;
    let buf = '';
    const readyP = new Promise<void>((res) => {
      child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          noteLog(line);
          if (!ready && line.includes('"msg":"ready"')) {
            ready = true;
            res();
          }
        }
      });
      void exited.then(() => res());
    });
    child.stderr!.resume();
    // A random moment: one round in four while starting up (loading the outbox), the others while
    // paying and sending (0-700 ms after ready).
    const kill = () => {
      kills.push(Date.now());
      child.kill('SIGKILL');
    };
    let timer = setTimeout(kill, Math.random() < 0.25 ? 100 + Math.random() * 1500 : 60_000);
    void exited.then(() => (alive = false));
    await readyP;
    if (!ready) killedBeforeReady++;
    else if (alive) {
      clearTimeout(timer);
      timer = setTimeout(kill, Math.random() * 700);
    }
    for (let i = 0; alive && ready; i++) {
      const uid = `k${round}-${i}`;
      const how = i % 3 === 2 ? 'card' : 'cash';
      tried.set(uid, how);
      try {
        if ((await pay(kiosk, uid, how)) === 'paid') paid.add(uid);
      } catch {
        /* killed mid-payment: its outcome is unknown to the customer */
      }
    }
    await exited;
    clearTimeout(timer);
  }
  flapping = false;
  await flapper;
  t.comment(`${kills.length} kills (${killedBeforeReady} before ready) in ${Math.round((Date.now() - started) / 1000)} s; ${paid.size} payments seen paid, ${tried.size} started`);
  t.equal(kills.length, KILLS, 'every round ended by a kill (none by the daemon exiting on its own)');
  t.ok(paid.size > 0, 'payments were made');

  await srv.control('ok');
  const d = await startDaemonProcess({ dataDir, port, configText: daemonToml(srv.url, 30, 'debug') });
  t.teardown(() => d.stop());
  await waitFor('outbox drained', () => readSessionDocs(dataDir).every((s) => s.outbox?.state !== 'pending'), 120_000);
  await d.stop();
  for (const l of d.logs) noteLog(l);

  const acceptances = new Map<string, number[]>();
  for (const r of srv.accepted()) {
    const uid = r.values!.uid;
    acceptances.set(uid, [...(acceptances.get(uid) ?? []), r.at * 1000]);
    const how = tried.get(uid);
    t.ok(how, `${uid} was a payment of this test`);
    if (how) {
      const v = r.values!;
      const ok =
        v.terminal_id === 'KIOSK-IT' && v.amount === AMOUNT && v.pay_amount === AMOUNT && v.charge_amount === 0 && v.rest_amount === 0 && v.pay_type === (how === 'card' ? 1 : 0) && JSON.stringify(v.order) === JSON.stringify(ITEMS);
      if (!ok) t.fail(`${uid}: values differ: ${JSON.stringify(v)}`);
    }
  }
  const missing = [...paid].filter((u) => !acceptances.has(u));
  t.same(missing, [], 'every uid seen paid reached the server');
  let repeats = 0;
  const afterMarked: string[] = [];
  for (const [uid, times] of acceptances) {
    const m = marked.get(uid);
    // The daemon's mark is logged with millisecond resolution (the mark happened in [m, m+1)), the stand-in's
    // acceptance with microseconds: an acceptance in the same millisecond as the mark is not after it.
    // (Regression: one CI run reported "marked at …951, accepted at …951.0415" for the report's only
    // acceptance, which the server answered before the daemon marked it.)
    if (m !== undefined && times.some((x) => x >= m + 1)) afterMarked.push(`${uid}: marked at ${m}, accepted at ${times.join(', ')}`);
  }
  t.ok(marked.size > 0, 'the daemon logged its delivered marks');
  t.same(afterMarked, [], 'no report sent again after it was durably marked delivered');
  const unexplained: string[] = [];
  let byKill = 0;
  const lostAnswers: Record<string, number> = {};
  for (const [uid, times] of acceptances) {
    times.sort((a, b) => a - b);
    for (let i = 1; i < times.length; i++) {
      repeats++;
      const between = (x: number) => x >= times[i - 1] && x <= times[i];
      if (kills.some(between)) byKill++;
      else {
        const failed = (noAnswer.get(uid) ?? []).find((f) => between(f.at));
        if (failed) lostAnswers[failed.cls] = (lostAnswers[failed.cls] ?? 0) + 1;
        else unexplained.push(uid);
      }
    }
  }
  // Informational: a kill between the two acceptances, a failed attempt logged in between, or neither
  // (the kill came while the first request was still being processed by the loaded stand-in, before it
  // recorded it).
  t.comment(`${acceptances.size} uids delivered, ${repeats} repeats: ${byKill} with a kill between the acceptances, ${JSON.stringify(lostAnswers)} with a failed attempt between, ${unexplained.length} killed while the server was still taking the first`);
  t.end();
});
