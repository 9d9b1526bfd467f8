/**
 * End to end (README.md, "Devices that cannot be opened"): the real daemon with a CCNET bill validator on
 * a serial path (a board profile naming a /dev/ path, the link of a real socat pty pair, like a udev
 * symlink) and the CCNET simulator as its own process on the far end. A payment is under way; the pty
 * pair is killed (the USB-serial adapter unplugged): /api/status and /metrics show the validator faulted
 * with error 506 and the path, the daemon stays up. The pair is made again at the same paths (plugged
 * back): the validator comes back without a restart and the same payment is finished with a bill.
 */
import t from 'tap';
import { accessSync, constants, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, httpRequest, payXml, pollUntil, returnCode, soapPost, startDaemonProcess, tempDir } from '../helpers/daemon.js';
import { startCcnetSim } from '../helpers/ccnet-sim-process.js';
import { openPtyPair, type PtyPair } from '../transports/serial/socat-pair.js';
import { SessionStore } from '../../src/services/store/session-store.js';
import { ErrorCode } from '../../src/errors.js';
import { waitFor } from '../helpers/wait.js';
import type { DeviceHealth } from '../../src/drivers/interfaces.js';

// A board profile's serial port must be under /dev/ (src/drivers/board/profile.ts): the pty's link is put
// there, which needs a writable /dev (root, as the CI runs).
let devWritable = true;
try {
  accessSync('/dev', constants.W_OK);
} catch {
  devWritable = false;
}

t.test('the validator unplugged during a payment: 506 with the path meanwhile, back by itself, the payment finished with a bill', { skip: devWritable ? false : 'needs a writable /dev for the pty link' }, async (t) => {
  const at = { a: `/dev/paypoint-it-ccnet-${process.pid}`, b: join(tempDir('paypoint-ccnet-'), 'validator') };
  let pair: PtyPair | null = await openPtyPair('socat', at);
  t.teardown(() => pair?.close());
  const sim = await startCcnetSim(at.b);
  t.teardown(() => sim.stop());

  const profile = join(tempDir('paypoint-profile-'), 'ccnet-only.json');
  writeFileSync(profile, JSON.stringify({ name: 'ccnet-only', board: 'test', lineProviders: {}, billValidator: { type: 'ccnet', port: at.a } }));
  const statusPort = await freePort();
  const d = await startDaemonProcess({
    configText:
      `[status]\nport = ${statusPort}\nbind = "127.0.0.1"\n[led]\nenabled = false\n` +
      `[devices]\ncoin = "none"\nbill = "board"\nhoppers = "none"\ncard = "none"\nboard_profile = "${profile}"\nopen_retry_s = 1\nopen_retry_max_s = 2\n`,
  });
  t.teardown(() => d.stop());
  const bill = async (): Promise<DeviceHealth> => {
    const s = JSON.parse((await httpRequest(statusPort, '/api/status')).body) as { devices: DeviceHealth[] };
    return s.devices.find((x) => x.name === 'bill-validator')!;
  };
  const open = async (): Promise<boolean> => ((await sim.ask('status')) as { status: { kind: string } }).status.kind === 'idling';
  await waitFor('the validator ready', async () => (await bill()).state === 'ok');

  // A payment under way: 100 RUB of 150 paid.
  t.equal(returnCode((await soapPost(d.url, payXml('cu-1', 15_000))).body), 0, 'Pay accepted');
  await waitFor('the validator opened for the payment', open);
  t.same(await sim.ask('insert 2'), { insert: 'inserted' });
  await waitFor('the 100 RUB bill credited', async () => ((await sim.ask('status')) as { stacked: number[]; status: { kind: string } }).status.kind === 'idling');

  // Unplugged.
  await pair.close();
  pair = null;
  const lost = await waitFor('the validator faulted', async () => {
    const h = await bill();
    return h.code === ErrorCode.DeviceUnavailable ? h : null;
  });
  t.equal(lost.state, 'fault');
  t.match(lost.detail, at.a, 'the path is named');
  t.match((await httpRequest(statusPort, '/metrics')).body, /paypoint_device_error_code\{device="bill-validator",kind="bill"\} 506/);
  t.equal(await pollUntil(d, 'cu-1', 1, 1), 1, 'the payment still in progress (PayPoll 1)');

  // Plugged back: the pty made again at the same paths (the link now points to another /dev/pts node).
  pair = await openPtyPair('socat', at);
  t.same(await sim.ask('reopen'), { ok: true });
  const back = await waitFor('the validator back', async () => {
    const h = await bill();
    return h.state === 'ok' ? h : null;
  }, 30_000);
  t.equal(back.code, undefined, 'the fault cleared');
  await waitFor('the validator open again for the payment', open);
  t.same(await sim.ask('insert 1'), { insert: 'inserted' });
  t.equal(await pollUntil(d, 'cu-1', 0), 0, 'paid: 100 + 50 RUB');
  t.equal(await d.stop(), 0, 'the daemon stops cleanly');
  const s = (await (await SessionStore.open(d.dataDir)).byUid('cu-1', 0))[0];
  t.same(s.credits.map((c) => [c.source, c.value]), [
    ['bill', 10_000],
    ['bill', 5_000],
  ], 'each bill credited once');
  t.ok(d.logs.some((l) => l.includes('"code":506') && l.includes(at.a)), 'the loss is logged with 506 and the path');
});
