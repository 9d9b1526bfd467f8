/**
 * End to end (README.md, "Card payments"): the real daemon with the VTK driver, against the VTK terminal simulator, including
 * the hard case: the daemon SIGKILLed while the terminal is authorising, then restarted. The terminal
 * runs as its own process (TCP on loopback), so it lives on across the daemon's death like a real one.
 */
import t from 'tap';
import { SessionStore } from '../../src/services/store/session-store.js';
import { startTerminal, type SimEvent } from '../helpers/vtk-terminal.js';
import { payXml, pollXml, pollUntil, returnCode, simCmd, soapPost, startDaemonProcess, tempDir } from '../helpers/daemon.js';

function config(port: number): string {
  return `[devices]\ncard = "vtk"\n[devices.vtk]\ntransport = "tcp"\nhost = "127.0.0.1"\nport = ${port}\nkeepalive_s = 2\n`;
}


async function storedSession(dataDir: string, uid: string) {
  const store = await SessionStore.open(dataDir);
  return (await store.byUid(uid, 0))[0];
}

const isVrp = (e: SimEvent): boolean => e.event === 'rx' && String(e.msg).startsWith('VRP');

t.test('card payment with the simulated VTK terminal inside the daemon (card = "vtk-sim")', async (t) => {
  const d = await startDaemonProcess({ configText: '[devices]\ncard = "vtk-sim"\n' });
  t.equal(returnCode((await soapPost(d.url, payXml('vs-1', 2500))).body), 0);
  // The offer reaches the simulated terminal asynchronously: retry the customer's action briefly.
  let r = await simCmd(d, 'card', 'decline');
  for (let i = 0; i < 20 && r.code !== 0; i++) {
    await new Promise((res) => setTimeout(res, 250));
    r = await simCmd(d, 'card', 'decline');
  }
  t.equal(r.code, 0, r.out);
  t.equal(returnCode((await soapPost(d.url, pollXml('vs-1'))).body), 1, 'a decline leaves the session open');
  r = await simCmd(d, 'card', 'approve');
  for (let i = 0; i < 20 && r.code !== 0; i++) {
    await new Promise((res) => setTimeout(res, 250));
    r = await simCmd(d, 'card', 'approve');
  }
  t.equal(r.code, 0, r.out);
  t.equal(returnCode((await soapPost(d.url, pollXml('vs-1'))).body), 0, 'answered only after the approval was stored');
  await d.stop();
  const s = await storedSession(d.dataDir, 'vs-1');
  t.same([s.report?.pay_type, s.report?.pay_amount, s.report?.charge_amount], [1, 2500, 0], 'the report says pay_type 1');
});

for (const outcome of ['approve', 'decline'] as const) {
  t.test(`daemon SIGKILLed mid-authorisation, the terminal ${outcome}s meanwhile`, async (t) => {
    const sim = await startTerminal();
    t.teardown(() => sim.stop());
    const dataDir = tempDir();
    let d = await startDaemonProcess({ dataDir, configText: config(sim.port) });
    t.teardown(() => d.kill9());
    t.equal(returnCode((await soapPost(d.url, payXml('hard-1', 2500))).body), 0);
    await sim.waitFor(isVrp, 'VRP');
    await d.kill9(); // the power cut: the card is being authorised at the terminal right now
    sim.send(outcome);
    await sim.waitFor((e) => e.event === 'settled', 'settled');
    d = await startDaemonProcess({ dataDir, port: d.port, configText: config(sim.port) });
    if (outcome === 'approve') {
      t.equal(await pollUntil(d, 'hard-1', 0), 0, 'the approval was learned from the terminal: paid');
      await sim.waitFor((e) => e.event === 'fin' && e.finAmount === 2500, 'FIN 2500');
      await d.stop();
      const s = await storedSession(dataDir, 'hard-1');
      t.same([s.state, s.report?.pay_type, s.credited], ['paid', 1, 2500], 'no lost approval');
      const approvals = sim.events.filter((e) => e.event === 'settled' && e.state === 'approved');
      t.equal(approvals.length, 1, 'the card was charged exactly once (no double charge)');
    } else {
      // The decline is learned; the session goes on and the customer pays cash instead.
      await new Promise((r) => setTimeout(r, 1500));
      t.equal(returnCode((await soapPost(d.url, pollXml('hard-1'))).body), 1, 'still in progress after the decline');
      const paid = await simCmd(d, 'bill', '50');
      t.equal(paid.code, 0, paid.out);
      t.equal(await pollUntil(d, 'hard-1', 0), 0);
      await d.stop();
      const s = await storedSession(dataDir, 'hard-1');
      t.same([s.report?.pay_type, s.report?.pay_amount, s.report?.charge_amount], [0, 5000, 2500]);
      t.equal(sim.events.filter((e) => e.event === 'settled' && e.state === 'approved').length, 0, 'nothing was charged to the card');
    }
  });
}

t.test('cash withdraws the card offer, the daemon is SIGKILLed, the terminal approves anyway: FIN 0 after the restart (VTK 3.4)', async (t) => {
  const sim = await startTerminal();
  t.teardown(() => sim.stop());
  sim.send('late on'); // the ABR does not stop the authorisation: the approval comes late
  await sim.waitFor((e) => e.event === 'ok' && e.late === true, 'late on');
  const dataDir = tempDir();
  let d = await startDaemonProcess({ dataDir, configText: config(sim.port) });
  t.teardown(() => d.kill9());
  t.equal(returnCode((await soapPost(d.url, payXml('late-1', 2500))).body), 0);
  await sim.waitFor(isVrp, 'VRP');
  const coin = await simCmd(d, 'coin', '1'); // cash taken: the card is no longer offered (contract 2.2)
  t.equal(coin.code, 0, coin.out);
  await sim.waitFor((e) => e.event === 'rx' && String(e.msg).startsWith('ABR'), 'ABR');
  await d.kill9(); // the power cut after the withdrawal was journaled and the ABR sent
  sim.send('approve'); // the bank's approval arrives anyway
  await sim.waitFor((e) => e.event === 'settled' && e.state === 'approved', 'late approval');
  d = await startDaemonProcess({ dataDir, port: d.port, configText: config(sim.port) });
  const fin = await sim.waitFor((e) => e.event === 'fin', 'FIN');
  t.equal(fin.finAmount, 0, 'FIN 0 on the wire: vending failure, the bank reverses the charge');
  t.equal(sim.events.filter((e) => e.event === 'fin' && e.finAmount !== 0).length, 0, 'no FIN with an amount');
  const bill = await simCmd(d, 'bill', '50');
  t.equal(bill.code, 0, bill.out);
  t.equal(await pollUntil(d, 'late-1', 0), 0, 'the session goes on with cash and is paid');
  await d.stop();
  const s = await storedSession(dataDir, 'late-1');
  t.same([s.state, s.report?.pay_type, s.credits.some((c: { source: string }) => c.source === 'card')], ['paid', 0, false], 'paid in cash, no card credit');
});
