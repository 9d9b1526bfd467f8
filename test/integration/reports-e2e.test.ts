/**
 * End to end (docs/contract.md, "3. The report"): 1,000 payments through the simulated devices of the real daemon while the 1C
 * stand-in follows a scripted outage schedule: up, down (process stopped: connection refused), up, slow
 * (answers after the kiosk's timeout), refusing (`false`), up. Afterwards all 1,000 reports are at the
 * server with their payment's values; the number of repeats is printed (timeouts the server still
 * processed are repeats the contract allows). Needs dist/ (make build).
 */
import t from 'tap';
import { readSessionDocs } from '../../src/services/reports/outbox-snapshot.js';
import { startDaemonProcess } from '../helpers/daemon.js';
import { startProcessingServer } from '../services/reports/processing-server.js';
import { AMOUNT, daemonToml, ITEMS, pay } from './reports-helpers.js';
import { waitFor } from '../helpers/wait.js';

const N = Number(process.env.PAYPOINT_E2E_PAYMENTS ?? 1000);
// Minutes on a loaded 2-core machine: more than the suite's default per-file timeout.
t.setTimeout(900_000);

t.test(`${N} payments through an outage schedule: all delivered`, async (t) => {
  const srv = await startProcessingServer();
  t.teardown(() => srv.stop());
  const d = await startDaemonProcess({ configText: daemonToml(srv.url, 2) });
  t.teardown(() => d.stop());

  // [from payment index, what the server does]
  const schedule: Array<[number, string]> = [
    [0, 'up'],
    [0.2, 'down'],
    [0.4, 'up'],
    [0.55, 'slow'],
    [0.7, 'refusing'],
    [0.85, 'up'],
  ];
  const how = (i: number) => (i % 3 === 2 ? 'card' : 'cash');
  const started = Date.now();
  let phase = -1;
  for (let i = 0; i < N; i++) {
    const p = schedule.findLastIndex(([from]) => i >= from * N);
    if (p !== phase) {
      phase = p;
      const what = schedule[p][1];
      t.comment(`payment ${i}: server ${what}`);
      if (what === 'down') await srv.stop();
      else {
        await srv.start();
        if (what === 'up') await srv.control('ok');
        if (what === 'slow') await srv.control('slow', { delay: 3 });
        if (what === 'refusing') await srv.control('false');
      }
    }
    const r = await pay(d, `e2e-${i}`, how(i));
    if (r !== 'paid') t.fail(`payment ${i} not taken: ${r}`);
  }
  t.comment(`${N} payments in ${Math.round((Date.now() - started) / 1000)} s; waiting for the outbox to drain`);
  await waitFor('outbox drained', () => readSessionDocs(d.dataDir).every((s) => s.outbox?.state !== 'pending'), 180_000);

  const accepted = srv.accepted();
  const byUid = new Map<string, number>();
  for (const r of accepted) {
    const v = r.values!;
    byUid.set(v.uid, (byUid.get(v.uid) ?? 0) + 1);
    const i = Number(v.uid.slice(4));
    const ok = v.amount === AMOUNT && v.pay_amount === AMOUNT && v.charge_amount === 0 && v.rest_amount === 0 && v.pay_type === (how(i) === 'card' ? 1 : 0) && JSON.stringify(v.order) === JSON.stringify(ITEMS);
    if (!ok) t.fail(`${v.uid}: values differ: ${JSON.stringify(v)}`);
  }
  const missing = Array.from({ length: N }, (_, i) => `e2e-${i}`).filter((u) => !byUid.has(u));
  t.same(missing, [], `all ${N} delivered`);
  t.equal(srv.received().filter((r) => r.result === 'invalid').length, 0, 'the strict server refused none as invalid');
  const repeats = accepted.length - byUid.size;
  t.comment(`delivered ${byUid.size}, repeats ${repeats}, posts received ${srv.received().length} (refused with false: ${srv.received().filter((r) => r.result === 'false').length}) in ${Math.round((Date.now() - started) / 1000)} s`);
  t.end();
});
