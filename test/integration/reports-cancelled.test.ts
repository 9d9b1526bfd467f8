/**
 * Contract 3, "report cancelled sessions with cash kept" (off by default): with the option on and empty
 * hoppers, a cancelled session whose cash could not be given back reaches 1C with amount 0,
 * pay_amount = charge_amount = cash taken, rest_amount = cash not given back. With the option off, nothing
 * is sent. Needs dist/ (make build).
 */
import t from 'tap';
import { sendSimCommand } from '../../src/cli/sim-client.js';
import { readSessionDocs } from '../../src/services/reports/outbox-snapshot.js';
import { simSocketPath } from '../../src/services/sim-control/sim-control-protocol.js';
import { payXml, pollXml, returnCode, soapPost, startDaemonProcess } from '../helpers/daemon.js';
import { startProcessingServer } from '../services/reports/processing-server.js';
import { daemonToml, ITEMS } from './reports-helpers.js';
import { waitFor } from '../helpers/wait.js';

for (const option of [true, false]) {
  t.test(`cancelled with 10 RUB kept, option ${option ? 'on' : 'off'}`, async (t) => {
    const srv = await startProcessingServer();
    t.teardown(() => srv.stop());
    const toml = daemonToml(srv.url).replace('[pos]\n', `[pos]\nreport_cancelled_with_cash_kept = ${option}\n`) + '\n[devices]\ncard = "none"\n\n[devices.sim]\nhopper_fill = [0, 0, 0]\n';
    const d = await startDaemonProcess({ configText: toml });
    t.teardown(() => d.stop());
    t.equal(returnCode((await soapPost(d.url, payXml('c-1', 5000, ITEMS))).body), 0);
    const sock = simSocketPath(d.dataDir, d.port);
    t.ok((await sendSimCommand(sock, { cmd: 'coin', value: 1000 })).ok);
    t.ok((await sendSimCommand(sock, { cmd: 'cancel' })).ok);
    await waitFor('cancelled', async () => returnCode((await soapPost(d.url, pollXml('c-1'))).body) === 2, 20_000);
    if (option) {
      await waitFor('delivered', () => srv.accepted().length === 1, 20_000);
      t.same(srv.accepted()[0].values, { terminal_id: 'KIOSK-IT', uid: 'c-1', amount: 0, pay_amount: 1000, charge_amount: 1000, rest_amount: 1000, pay_type: 0, order: ITEMS, time: srv.accepted()[0].values!.time });
    } else {
      const s = readSessionDocs(d.dataDir).find((x) => x.uid === 'c-1')!;
      t.equal(s.state, 'cancelled');
      t.equal(s.outbox, null, 'no report queued');
      t.equal(srv.received().length, 0);
    }
    t.end();
  });
}
