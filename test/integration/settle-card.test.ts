/**
 * Settling by hand without code (README.md, "Card payments"): the real daemon and the VTK terminal
 * simulator in their own processes. The daemon is SIGKILLed while the terminal authorises; while it is
 * down the terminal approves and then moves on to later operations (VTK 1.12 section 3.3: the outcome
 * of the old number can no longer be asked for). After the restart the session waits (PayPoll 1), the
 * case is listed by `paypoint settle` and on /api/status; a person who checked the bank's journal
 * records "charged" on the command line, and the session ends as paid by card. A late approval
 * reversed with FIN 0 is shown on the status page in both languages' data.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SessionStore } from '../../src/services/store/session-store.js';
import { startTerminal } from '../helpers/vtk-terminal.js';
import { BIN, freePort, httpRequest, payXml, pollUntil, returnCode, simCmd, soapPost, startDaemonProcess, tempDir } from '../helpers/daemon.js';

function config(port: number, statusPort: number): string {
  return `[devices]\ncard = "vtk"\n[devices.vtk]\ntransport = "tcp"\nhost = "127.0.0.1"\nport = ${port}\nkeepalive_s = 2\n[status]\nport = ${statusPort}\n`;
}

function cli(args: string[], lang = 'C') {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, LANG: lang, LC_ALL: '', LC_MESSAGES: '' } });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

async function status(port: number): Promise<Record<string, any>> {
  return JSON.parse((await httpRequest(port, '/api/status')).body) as Record<string, any>;
}

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

t.test('an outcome nobody can learn is settled with paypoint settle; the waiting session ends paid', async (t) => {
  const sim = await startTerminal();
  t.teardown(() => sim.stop());
  const dataDir = tempDir();
  const statusPort = await freePort();
  let d = await startDaemonProcess({ dataDir, configText: config(sim.port, statusPort) });
  t.teardown(() => d.kill9());
  t.equal(returnCode((await soapPost(d.url, payXml('st-1', 2500))).body), 0);
  await sim.waitFor((e) => e.event === 'rx' && String(e.msg).startsWith('VRP'), 'VRP');
  await d.kill9();
  sim.send('approve');
  await sim.waitFor((e) => e.event === 'settled' && e.state === 'approved', 'approved');
  sim.send('opnumber 5'); // the terminal moves on: operation 1 can no longer be asked about
  await sim.waitFor((e) => e.event === 'ok', 'opnumber');
  d = await startDaemonProcess({ dataDir, port: d.port, configText: config(sim.port, statusPort) });

  const open = await until('the case listed', async () => {
    const l = JSON.parse(cli(['settle', '--json', '--data-dir', dataDir]).out) as { open: Array<{ id: string; uid: string; kind: string; amount: number }> };
    return l.open.find((c) => c.kind === 'card');
  });
  t.match(open, { uid: 'st-1', amount: 2500 });
  t.equal(returnCode((await soapPost(d.url, payXml('st-2', 100))).body) !== 0, true, 'no new payment while the old one waits');
  // The daemon re-reads the cases every 2 s: the page may lag the file by one refresh.
  const listed = await until('the case on /api/status', async () => (await status(statusPort)).cases.open.find((c: { id: string }) => c.id === open.id));
  t.match(listed, { id: open.id, kind: 'card', uid: 'st-1' }, '/api/status lists it');

  const wrong = cli(['settle', open.id, 'paid', '--by', 'tech', '--data-dir', dataDir]);
  t.equal(wrong.status, 1);
  t.match(wrong.err, /^error 313: /);
  t.notOk(existsSync(join(dataDir, 'settlements.jsonl')), 'a refusal writes nothing');

  const ok = cli(['settle', open.id, 'charged', '--by', 'tech', '--note', 'bank journal RRN 900000000001', '--data-dir', dataDir]);
  t.equal(ok.status, 0, ok.err);
  const paid = await pollUntil(d, 'st-1', 0);
  if (paid !== 0) t.comment(d.logs.filter((l) => /settle|open cases|VTK|card/.test(l)).slice(-15).join('\n'));
  t.equal(paid, 0, 'the session ends as paid');
  const st = await until('settled on /api/status', async () => {
    const s = await status(statusPort);
    // The totals are computed every refresh; the one that applied the settlement saw the session still waiting.
    return s.cases.settled.length && s.totals.today.paid.card.count ? s : null;
  });
  t.match(st.cases.settled, [{ id: open.id, settlement: { how: 'charged', by: 'tech' } }]);
  t.same(st.cases.open, []);
  t.match(st.totals.today.paid.card, { count: 1, sum: 2500 }, 'today\'s totals count the card payment');
  await d.stop();
  const store = await SessionStore.open(dataDir);
  const s = (await store.byUid('st-1', 0))[0];
  t.same([s.state, s.payType, s.report?.pay_type, s.report?.pay_amount], ['paid', 1, 1, 2500]);
  const journal = JSON.parse(readFileSync(join(dataDir, 'vtk-ops.json'), 'utf8')) as { ops: Array<Record<string, unknown>> };
  t.match(journal.ops.find((o) => o.opNumber === 1), { result: 'settled-by-hand', reason: 'approved', unlearnable: true }, 'the card journal keeps the record');
  t.equal(sim.events.filter((e) => e.event === 'fin').length, 0, 'no FIN for an operation the terminal moved past');
  const again = cli(['settle', open.id, 'refunded', '--by', 'other', '--data-dir', dataDir]);
  t.equal(again.status, 1);
  t.match(again.err, /^error 312: /);
});

t.test('a late approval reversed with FIN 0 is on /api/status and in paypoint settle --all', async (t) => {
  const sim = await startTerminal();
  t.teardown(() => sim.stop());
  sim.send('late on');
  await sim.waitFor((e) => e.event === 'ok' && e.late === true, 'late on');
  const dataDir = tempDir();
  const statusPort = await freePort();
  const d = await startDaemonProcess({ dataDir, configText: config(sim.port, statusPort) });
  t.teardown(() => d.kill9());
  t.equal(returnCode((await soapPost(d.url, payXml('lr-1', 2500))).body), 0);
  await sim.waitFor((e) => e.event === 'rx' && String(e.msg).startsWith('VRP'), 'VRP');
  t.equal((await simCmd(d, 'bill', '50')).code, 0);
  await sim.waitFor((e) => e.event === 'rx' && String(e.msg).startsWith('ABR'), 'ABR');
  sim.send('approve');
  const fin = await sim.waitFor((e) => e.event === 'fin', 'FIN');
  t.equal(fin.finAmount, 0);
  const st = await until('late-reversed on /api/status', async () => {
    const s = await status(statusPort);
    return s.cases.lateReversed.length ? s : null;
  });
  t.match(st.cases.lateReversed, [{ opNumber: 1, amount: 2500 }]);
  t.same(st.cases.open.filter((c: { kind: string }) => c.kind === 'card'), [], 'not a case to settle: the bank reverses it');
  const l = cli(['settle', '--all', '--data-dir', dataDir], 'ru_RU.UTF-8');
  t.match(l.out, /поздние одобрения по карте, отменённые FIN 0 .*: 1\n {2}card:\S+\t.*\t1\t25,00 ₽/);
  const js = (await httpRequest(statusPort, '/app.js')).body;
  t.match(js, /Поздние одобрения по карте, отменённые \(FIN 0\)/, 'the page names it in Russian');
  t.match(js, /Late card approvals reversed \(FIN 0\)/, 'and in English');
});
