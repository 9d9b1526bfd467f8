/**
 * Kill test (issue 3): payments are made while the 1C server flaps (answers true, 502, false, a fault, a
 * body that is not XML) and the real daemon is SIGKILLed at random moments, at least 100 times. Then:
 *  - every uid whose PayPoll answered 0 reached the server (was accepted with `true`) at least once;
 *  - a uid accepted more than once was re-sent only across a kill: between any two acceptances of it the
 *    daemon was killed (the report was in flight, answered but not yet marked delivered);
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
import { AMOUNT, daemonToml, ITEMS, pay, waitFor } from './reports-helpers.js';

const KILLS = Number(process.env.PAYPOINT_KILLS ?? 100);
// Minutes on a loaded 2-core machine: more than the suite's default per-file timeout.
t.setTimeout(900_000);

t.test(`${KILLS} SIGKILLs while paying and the server flaps: every paid uid delivered, repeats only across kills`, async (t) => {
  const srv = await startProcessingServer();
  t.teardown(() => srv.stop());
  const dataDir = tempDir();
  const port = await freePort();
  const cfgFile = join(tempDir('paypoint-cfg-'), 'paypoint.toml');
  writeFileSync(cfgFile, daemonToml(srv.url));
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
        if (!ready && buf.includes('"msg":"ready"')) {
          ready = true;
          res();
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
  t.ok(kills.length >= KILLS, 'killed at least the asked number of times');
  t.ok(paid.size > 0, 'payments were made');

  await srv.control('ok');
  const d = await startDaemonProcess({ dataDir, port, configText: daemonToml(srv.url) });
  t.teardown(() => d.stop());
  await waitFor('outbox drained', () => readSessionDocs(dataDir).every((s) => s.outbox?.state !== 'pending'), 120_000);
  await d.stop();

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
  const unexplained: string[] = [];
  for (const [uid, times] of acceptances) {
    times.sort((a, b) => a - b);
    for (let i = 1; i < times.length; i++) {
      repeats++;
      if (!kills.some((k) => k >= times[i - 1] && k <= times[i])) unexplained.push(`${uid} at ${times[i - 1]} and ${times[i]}`);
    }
  }
  t.comment(`${acceptances.size} uids delivered, ${repeats} repeats (each across a kill)`);
  t.same(unexplained, [], 'no repeat without a kill between');
  t.end();
});
