/**
 * The card flows with the REAL daemon SIGKILLed at each step (README.md, "Card payments"), the VTK
 * terminal simulator in its own process (it lives on, like a real terminal, VTK 1.12 section 3.3):
 *  - approval: killed the moment the terminal approves -> paid after the restart, FIN with the amount,
 *    charged once;
 *  - late approval: the offer withdrawn (cash), killed the moment the terminal approves anyway -> FIN 0
 *    after the restart (3.4: vending failure, the bank reverses it), nothing charged, the session paid in
 *    cash;
 *  - offline: the session opened while the terminal did not answer (no card offer), killed, the terminal
 *    answers again -> after the restart the card is offered and the approval pays;
 *  - operation number wrap: 99 999 999 then 1 (3.1, 3.3), each killed while authorising -> each paid,
 *    each finalised with its own number.
 * The step "killed while the terminal authorises" and "killed after the ABR" are in card-vtk.test.ts.
 */
import t from 'tap';
import { startTerminal, type SimEvent, type TerminalSim } from '../helpers/vtk-terminal.js';
import { payXml, pollUntil, returnCode, simCmd, soapPost, startDaemonProcess, tempDir, type DaemonProcess } from '../helpers/daemon.js';
import { SessionStore } from '../../src/services/store/session-store.js';

function config(port: number): string {
  return `[devices]\ncard = "vtk"\n[devices.vtk]\ntransport = "tcp"\nhost = "127.0.0.1"\nport = ${port}\nkeepalive_s = 2\n`;
}
const isVrp = (e: SimEvent) => e.event === 'rx' && String(e.msg).startsWith('VRP');
const count = (sim: TerminalSim, pred: (e: SimEvent) => boolean) => sim.events.filter(pred).length;

async function stored(dataDir: string, uid: string) {
  const store = await SessionStore.open(dataDir);
  return (await store.byUid(uid, 0))[0];
}

/** A cash credit through the simulation socket, retried while the daemon is still wiring up. */
async function cash(d: DaemonProcess, kind: 'coin' | 'bill', rub: string): Promise<void> {
  let r = await simCmd(d, kind, rub);
  for (let i = 0; i < 20 && r.code !== 0; i++) {
    await new Promise((res) => setTimeout(res, 250));
    r = await simCmd(d, kind, rub);
  }
  if (r.code !== 0) throw new Error(`sim ${kind} ${rub}: ${r.out}`);
}

t.test('approval: SIGKILL the moment the terminal approves -> paid after the restart, FIN 2500, charged once', async (t) => {
  const sim = await startTerminal();
  t.teardown(() => sim.stop());
  const dataDir = tempDir();
  let d = await startDaemonProcess({ dataDir, configText: config(sim.port) });
  t.teardown(() => d.kill9());
  t.equal(returnCode((await soapPost(d.url, payXml('ks-a', 2500))).body), 0);
  await sim.waitFor(isVrp, 'VRP');
  sim.send('approve');
  await sim.waitFor((e) => e.event === 'settled', 'approved');
  await d.kill9();
  d = await startDaemonProcess({ dataDir, port: d.port, configText: config(sim.port) });
  t.equal(await pollUntil(d, 'ks-a', 0), 0, 'paid');
  // Paid before the kill, its FIN not yet journaled: no session claims the operation after the restart,
  // so the driver settles it with the terminal alone once its orphan grace (60 s) has passed.
  await sim.waitFor((e) => e.event === 'fin' && e.finAmount === 2500, 'FIN 2500', 120_000);
  await d.stop();
  t.same((await stored(dataDir, 'ks-a')).report?.pay_type, 1);
  t.equal(count(sim, (e) => e.event === 'settled' && e.state === 'approved'), 1, 'one approval');
  t.equal(count(sim, (e) => e.event === 'fin' && e.finAmount !== 2500), 0, 'no other FIN');
});

t.test('late approval: SIGKILL the moment the terminal approves a withdrawn offer -> FIN 0 after the restart, paid in cash', async (t) => {
  const sim = await startTerminal();
  t.teardown(() => sim.stop());
  sim.send('late on');
  await sim.waitFor((e) => e.event === 'ok' && e.late === true, 'late on');
  const dataDir = tempDir();
  let d = await startDaemonProcess({ dataDir, configText: config(sim.port) });
  t.teardown(() => d.kill9());
  t.equal(returnCode((await soapPost(d.url, payXml('ks-l', 2500))).body), 0);
  await sim.waitFor(isVrp, 'VRP');
  await cash(d, 'coin', '1'); // cash first: the card offer is withdrawn (contract 2.2)
  await sim.waitFor((e) => e.event === 'rx' && String(e.msg).startsWith('ABR'), 'ABR');
  sim.send('approve');
  await sim.waitFor((e) => e.event === 'settled' && e.state === 'approved', 'late approval');
  await d.kill9();
  d = await startDaemonProcess({ dataDir, port: d.port, configText: config(sim.port) });
  const fin = await sim.waitFor((e) => e.event === 'fin', 'FIN');
  t.equal(fin.finAmount, 0, 'FIN 0 on the wire after the restart');
  await cash(d, 'bill', '50');
  t.equal(await pollUntil(d, 'ks-l', 0), 0, 'paid in cash');
  await d.stop();
  const s = await stored(dataDir, 'ks-l');
  t.same([s.report?.pay_type, s.credits.some((c: { source: string }) => c.source === 'card')], [0, false]);
  t.equal(count(sim, (e) => e.event === 'fin' && e.finAmount !== 0), 0, 'never finalised with an amount');
});

t.test('offline: a session opened while the terminal did not answer; SIGKILL; the terminal is back -> the card is offered after the restart', async (t) => {
  const sim = await startTerminal(['--mode', 'silent']);
  t.teardown(() => sim.stop());
  const dataDir = tempDir();
  let d = await startDaemonProcess({ dataDir, configText: config(sim.port) });
  t.teardown(() => d.kill9());
  t.equal(returnCode((await soapPost(d.url, payXml('ks-o', 2500))).body), 0, 'cash still works: Pay accepted');
  await new Promise((r) => setTimeout(r, 1500));
  t.equal(count(sim, isVrp), 0, 'no card offer to a terminal that does not answer');
  await d.kill9();
  sim.send('mode manual');
  await sim.waitFor((e) => e.event === 'ok' && e.mode === 'manual', 'mode manual');
  d = await startDaemonProcess({ dataDir, port: d.port, configText: config(sim.port) });
  await sim.waitFor(isVrp, 'VRP after the restart', 30_000);
  sim.send('approve');
  t.equal(await pollUntil(d, 'ks-o', 0), 0, 'paid by card');
  await d.stop();
  t.same((await stored(dataDir, 'ks-o')).report?.pay_type, 1);
});

t.test('operation number wrap: 99 999 999 then 1, each SIGKILLed while authorising -> each paid and finalised with its number', async (t) => {
  const sim = await startTerminal(['--op-number', '99999998']);
  t.teardown(() => sim.stop());
  const dataDir = tempDir();
  let d = await startDaemonProcess({ dataDir, configText: config(sim.port) });
  t.teardown(() => d.kill9());
  for (const [uid, opNumber] of [['ks-w1', 99_999_999], ['ks-w2', 1]] as const) {
    await pollUntil(d, 'never-there', -4); // the daemon answers
    let r = returnCode((await soapPost(d.url, payXml(uid, 1200))).body);
    for (let i = 0; i < 40 && r !== 0; i++) {
      await new Promise((res) => setTimeout(res, 250)); // -2 until the terminal is ready after the restart
      r = returnCode((await soapPost(d.url, payXml(uid, 1200))).body);
    }
    t.equal(r, 0, `Pay ${uid}`);
    await sim.waitFor((e) => isVrp(e) && String(e.msg).startsWith(`VRP op=${opNumber} `), `VRP ${opNumber}`);
    await d.kill9();
    sim.send('approve');
    await sim.waitFor((e) => e.event === 'settled' && e.opNumber === opNumber, `settled ${opNumber}`);
    d = await startDaemonProcess({ dataDir, port: d.port, configText: config(sim.port) });
    t.equal(await pollUntil(d, uid, 0), 0, `${uid} paid`);
    await sim.waitFor((e) => e.event === 'fin' && e.opNumber === opNumber && e.finAmount === 1200, `FIN ${opNumber}`);
  }
  await d.stop();
  t.equal(count(sim, (e) => e.event === 'settled' && e.state === 'approved'), 2, 'two approvals, no more');
});
