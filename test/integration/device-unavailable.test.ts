/**
 * End to end (README.md, "Devices that cannot be opened"): the real daemon with the card terminal on a
 * serial path that does not exist (a USB-serial adapter unplugged) starts and becomes READY, shows the
 * card faulted with error 506 and the path (/api/status, /metrics, the log), takes a cash payment with
 * the simulated cash devices, and when a real pty appears at that path with the VTK terminal simulator
 * on its far end, the card joins without a restart and a card payment is paid. With nothing that can
 * take money, Pay is refused -2 (contract 1), not accepted and left waiting.
 */
import t from 'tap';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, httpRequest, payXml, pollUntil, returnCode, simCmd, soapPost, startDaemonProcess, tempDir } from '../helpers/daemon.js';
import { startTerminal, type SimEvent } from '../helpers/vtk-terminal.js';
import { openPtyPair } from '../transports/serial/socat-pair.js';
import { waitFor } from '../helpers/wait.js';
import type { DeviceHealth } from '../../src/drivers/interfaces.js';

async function boot(devices: string) {
  const ttyPath = join(tempDir('paypoint-tty-'), 'ttyUSB-card');
  const statusPort = await freePort();
  const configText =
    `[status]\nport = ${statusPort}\nbind = "127.0.0.1"\n[led]\nenabled = false\n` +
    `[devices]\ncard = "vtk"\nopen_retry_s = 1\nopen_retry_max_s = 2\n${devices}` +
    `[devices.vtk]\ntransport = "serial"\nserial_path = "${ttyPath}"\nkeepalive_s = 2\n`;
  const d = await startDaemonProcess({ configText });
  const card = async (): Promise<DeviceHealth> => {
    const s = JSON.parse((await httpRequest(statusPort, '/api/status')).body) as { devices: DeviceHealth[] };
    return s.devices.find((x) => x.name === 'card')!;
  };
  return { d, ttyPath, statusPort, card };
}

const isVrp = (e: SimEvent): boolean => e.event === 'rx' && String(e.msg).startsWith('VRP');

t.test('card terminal missing at start: READY, faulted 506, cash pays; the terminal appears and joins, a card pays', async (t) => {
  const { d, ttyPath, statusPort, card } = await boot('coin = "sim"\nbill = "sim"\nhoppers = "sim"\n');
  t.teardown(() => d.stop());
  t.pass('the daemon became READY without its card terminal');

  const h = await card();
  t.equal(h.state, 'fault');
  t.equal(h.code, 506, 'error 506: the device cannot be opened');
  t.match(h.detail, `cannot open ${ttyPath}: `, 'the path is named');
  const metrics = (await httpRequest(statusPort, '/metrics')).body;
  t.match(metrics, /paypoint_device_error_code\{device="card",kind="card"\} 506/);
  t.match(metrics, /paypoint_device_state\{device="card",kind="card",state="fault"\} 1/);
  const logged = d.logs.find((l) => l.includes('VTK: cannot open the link'));
  t.ok(logged, 'logged');
  t.match(JSON.parse(logged!), { code: 506, target: ttyPath, device: 'card' });
  const status = JSON.parse((await httpRequest(statusPort, '/api/status')).body) as { attention: string[] };
  t.ok(status.attention.includes('device card: fault (error 506)'), `attention (the LED's code): ${JSON.stringify(status.attention)}`);

  // Cash without the card.
  t.equal(returnCode((await soapPost(d.url, payXml('du-cash', 1000))).body), 0, 'Pay accepted: cash works');
  await waitFor('the coin taken', async () => (await simCmd(d, 'coin', '10')).code === 0, { everyMs: 100 });
  t.equal(await pollUntil(d, 'du-cash', 0), 0, 'paid in cash');

  // The adapter is plugged in: a real pty at the configured path, the terminal on its far end.
  const pair = await openPtyPair();
  t.teardown(() => pair.close());
  const sim = await startTerminal([], { serial: pair.b });
  t.teardown(() => sim.stop());
  symlinkSync(pair.a, ttyPath);
  const joined = await waitFor('the card terminal joined', async () => ((await card()).state === 'ok' ? await card() : null), 30_000);
  t.equal(joined.code, undefined, 'the fault cleared');
  t.ok(d.logs.some((l) => l.includes('VTK: link opened: fault cleared')), 'the join is logged');

  t.equal(returnCode((await soapPost(d.url, payXml('du-card', 2500))).body), 0);
  await sim.waitFor(isVrp, 'VRP: the card offered');
  sim.send('approve');
  t.equal(await pollUntil(d, 'du-card', 0), 0, 'paid by card');
});

t.test('nothing can take money (cash devices none, the card terminal missing): Pay -2, nothing left waiting', async (t) => {
  const { d, card } = await boot('coin = "none"\nbill = "none"\nhoppers = "none"\n');
  t.teardown(() => d.stop());
  t.equal((await card()).code, 506);
  t.equal(returnCode((await soapPost(d.url, payXml('du-none', 1000))).body), -2, 'refused: no means of payment in working order');
  t.equal(await pollUntil(d, 'du-none', -4, 2000), -4, 'no session was made');
});
