/**
 * sd_notify and the watchdog (docs/appliance.md) through a real NOTIFY_SOCKET (a Unix datagram socket,
 * read by socat): READY=1 once the store is loaded and SOAP listens; WATCHDOG=1 only while healthy;
 * a store that cannot be written stops the pings (systemd then restarts the daemon); a dead driver only
 * degrades (the pings go on); no NOTIFY_SOCKET: nothing is sent. The last test runs the real daemon
 * process and freezes it with SIGSTOP: the pings stop, which is what makes systemd restart it.
 * (Under systemd itself: see docs/appliance.md; this machine's PID 1 is not systemd.)
 */
import t from 'tap';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { defaultConfig } from '../../../src/config/schema.js';
import { startDaemon } from '../../../src/main.js';
import { attachAppliance } from '../../../src/services/appliance/appliance.js';
import { PROBE_FILE } from '../../../src/services/health/health.js';
import { SystemdNotifier } from '../../../src/services/appliance/notify.js';
import { silentLogger } from '../../../src/services/log.js';
import { freePort, startDaemonProcess, tempDir } from '../../helpers/daemon.js';
import { notifyReceiver } from './notify-receiver.js';

async function daemonNoAppliance() {
  const cfg = defaultConfig();
  cfg.storage.data_dir = tempDir();
  cfg.api.port = await freePort();
  cfg.api.bind = '127.0.0.1';
  cfg.status.port = await freePort();
  cfg.status.bind = '127.0.0.1';
  cfg.led.sysfs_root = tempDir('paypoint-noleds-');
  return startDaemon(cfg, { log: silentLogger(), appliance: false });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('no NOTIFY_SOCKET: the notifier does nothing', async (t) => {
  const n = new SystemdNotifier(silentLogger(), {});
  t.equal(n.enabled, false);
  t.equal(n.watchdogMs, null);
  await n.notify('READY=1'); // resolves, sends nowhere
  const w = new SystemdNotifier(silentLogger(), { NOTIFY_SOCKET: '/x', WATCHDOG_USEC: '30000000', WATCHDOG_PID: String(process.pid + 1) });
  t.equal(w.watchdogMs, null, 'WATCHDOG_PID of another process: not our watchdog');
});

t.test('READY=1, then WATCHDOG=1 while healthy, none while the store is unwritable, a dead driver only degrades', async (t) => {
  const rx = await notifyReceiver();
  const d = await daemonNoAppliance();
  const app = await attachAppliance(d, {
    version: 'test',
    env: { NOTIFY_SOCKET: rx.path, WATCHDOG_USEC: '900000' }, // ping every 300 ms
    healthProbeEveryMs: 100,
    healthTickMs: 100,
  });
  t.teardown(async () => {
    await app.stop();
    await d.stop();
    rx.close();
  });
  const ready = await rx.waitFor(/^READY=1$/);
  t.ok(rx.lines.includes(`MAINPID=${process.pid}`), 'MAINPID sent with READY');
  const firstPing = await rx.waitFor(/^WATCHDOG=1$/, ready);
  await rx.waitFor(/^WATCHDOG=1$/, firstPing + 1);
  t.equal(app.health().ok, true);

  // The store's directory stops taking writes: the probe file's name is taken by a directory.
  const probe = join(d.config.storage.data_dir, PROBE_FILE);
  rmSync(probe, { force: true });
  mkdirSync(probe);
  const down = await rx.waitFor(/^STATUS=unhealthy: store not writable/);
  t.equal(app.health().ok, false);
  t.equal(app.health().store.writable, false);
  await sleep(1200); // four ping periods
  t.notOk(rx.lines.slice(down).includes('WATCHDOG=1'), 'no WATCHDOG=1 while the store is unwritable');

  rmSync(probe, { recursive: true });
  const back = await rx.waitFor(/^WATCHDOG=1$/, down);
  t.ok(back > down, 'pings resume once the store takes writes again');

  // A dead driver: its health() throws. The unit is degraded, the watchdog is still fed.
  const hoppers = d.devices.dispenser!;
  hoppers.health = () => {
    throw new Error('driver thread gone');
  };
  const degraded = await rx.waitFor(/^STATUS=degraded: hoppers: fault/, back);
  await rx.waitFor(/^WATCHDOG=1$/, degraded);
  t.equal(app.health().ok, true);
  t.equal(app.health().degraded, true);
  const snap = await app.snapshot();
  t.equal(snap.state, 'degraded');
  t.ok(snap.attention.some((a) => a.includes('hoppers')), 'shown as attention on the page');
});

t.test('the real daemon process: READY=1, pings, and no pings while frozen by SIGSTOP', async (t) => {
  const rx = await notifyReceiver();
  const statusPort = await freePort();
  const d = await startDaemonProcess({
    configText: `[status]\nport = ${statusPort}\nbind = "127.0.0.1"\n[led]\nsysfs_root = "${tempDir('paypoint-noleds-')}"\n`,
    env: { NOTIFY_SOCKET: rx.path, WATCHDOG_USEC: '1500000' },
  });
  t.teardown(async () => {
    d.child.kill('SIGCONT');
    await d.stop();
    rx.close();
  });
  const ready = await rx.waitFor(/^READY=1$/);
  t.ok(rx.lines.includes(`MAINPID=${d.child.pid}`));
  const ping = await rx.waitFor(/^WATCHDOG=1$/, ready);
  await rx.waitFor(/^WATCHDOG=1$/, ping + 1);
  d.child.kill('SIGSTOP');
  await sleep(700); // a datagram already in flight lands
  const frozenAt = rx.lines.length;
  await sleep(2000); // four ping periods
  t.equal(rx.lines.slice(frozenAt).filter((l) => l === 'WATCHDOG=1').length, 0, 'a frozen daemon sends no WATCHDOG=1: systemd would kill and restart it');
  d.child.kill('SIGCONT');
  await rx.waitFor(/^WATCHDOG=1$/, frozenAt);
  const stopped = d.stop();
  await rx.waitFor(/^STOPPING=1$/, frozenAt);
  t.equal(await stopped, 0);
});
