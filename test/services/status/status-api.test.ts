/**
 * The status page's server (docs/appliance.md) in-process on the real daemon: /api/status JSON through a
 * payment, the outbox with a refused report, /metrics, the live event stream, HTTP Basic, read-only
 * (no state change over GET, nothing but GET/HEAD), and never a password in anything it serves.
 */
import t from 'tap';
import { request } from 'node:http';
import { defaultConfig } from '../../../src/config/schema.js';
import { startDaemon, type Daemon } from '../../../src/main.js';
import { silentLogger } from '../../../src/services/log.js';
import type { StatusSnapshot } from '../../../src/services/status/snapshot.js';
import { freePort, tempDir, httpRequest } from '../../helpers/daemon.js';

const PASSWORDS = ['apiSECRETpw1', 'procSECRETpw2', 'statusSECRETpw3'];
const AUTH = 'Basic ' + Buffer.from(`tech:${PASSWORDS[2]}`).toString('base64');

function get(port: number, path: string, opts: { method?: string; auth?: string | null } = {}): ReturnType<typeof httpRequest> {
  const headers: Record<string, string> = {};
  if (opts.auth !== null) headers.Authorization = opts.auth ?? AUTH;
  return httpRequest(port, path, opts.method ?? 'GET', headers);
}

async function status(port: number): Promise<StatusSnapshot> {
  const r = await get(port, '/api/status');
  if (r.status !== 200) throw new Error(`status ${r.status}`);
  return JSON.parse(r.body) as StatusSnapshot;
}

async function boot(t: { teardown(fn: () => unknown): void }): Promise<{ d: Daemon; port: number }> {
  const cfg = defaultConfig();
  cfg.storage.data_dir = tempDir();
  cfg.api = { ...cfg.api, port: await freePort(), bind: '127.0.0.1', require_auth: true, login: 'onec', password: PASSWORDS[0] };
  cfg.processing = { ...cfg.processing, use_auth: true, login: 'kiosk', password: PASSWORDS[1] };
  cfg.status = { ...cfg.status, port: await freePort(), bind: '127.0.0.1', require_auth: true, login: 'tech', password: PASSWORDS[2] };
  cfg.led.sysfs_root = tempDir('paypoint-noleds-');
  cfg.unit.name = 'Магазин №3, касса 2';
  const d = await startDaemon(cfg, { log: silentLogger() });
  t.teardown(() => d.stop());
  return { d, port: cfg.status.port };
}

const until = async (f: () => Promise<boolean>) => {
  for (let i = 0; i < 300; i++) {
    if (await f()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('condition not reached');
};

t.test('status JSON follows a payment; outbox, sessions, cash, clock, unit', async (t) => {
  const { d, port } = await boot(t);
  let s = await status(port);
  t.equal(s.state, 'ready');
  t.equal(s.session, null);
  t.equal(s.unit.terminalId, 'SIM-0001');
  t.equal(s.unit.name, 'Магазин №3, касса 2');
  t.equal(s.version, '0.1.0');
  t.same(s.cash.hoppers.map((h) => h.value), [1000, 500, 100]);
  t.same(s.cash.cassette, { bills: 0, capacity: 1000, level: 'ok' }, 'bills since the last collection against the board profile\'s capacity');
  t.equal(s.devices.length, 5);
  t.equal(s.outbox.depth, 0);
  t.ok(['timesyncd', 'timedatectl', 'unknown'].includes(s.clock.source));
  t.equal(s.config.api.password_set, true);
  t.equal(s.config.processing.password_set, true);
  t.equal(s.config.api.password, undefined);

  t.equal(await d.engine.pay({ uid: 'web-1', amount: 1500, order: [{ id: 'a', name: 'Молоко', count: '1', cost: 1500 }] }), 0);
  s = await status(port);
  t.equal(s.state, 'payment');
  t.equal(s.session?.uid, 'web-1');
  t.equal(s.session?.amount, 1500);
  t.equal(s.session?.credited, 0);
  await d.sim!.coin!.insert(1000);
  s = await status(port);
  t.equal(s.session?.credited, 1000);
  await d.sim!.coin!.insert(1000); // 500 change from the hoppers
  await until(async () => (await status(port)).session === null);
  s = await status(port);
  t.equal(s.sessions[0].uid, 'web-1');
  t.equal(s.sessions[0].state, 'paid');
  t.equal(s.sessions[0].change, 500);
  t.equal(s.sessions[0].report, 'pending');
  t.equal(s.cash.hoppers.find((h) => h.value === 500)?.count, 99, 'the 5-rouble coin left the hopper');
  await until(async () => (await status(port)).outbox.depth === 1);

  // The server refused it twice: the report stays, flagged (contract 3).
  const [pending] = await d.store.pendingReports();
  await d.store.setOutbox(pending._id, { ...pending.outbox!, attempts: 2, refusals: 2, lastError: 'Register answered false', lastErrorClass: 'refused', lastAttemptAt: Date.now() });
  await until(async () => (await status(port)).outbox.refused.length === 1);
  s = await status(port);
  t.same(s.outbox.refused[0], { uid: 'web-1', refusals: 2, attempts: 2, queuedAt: pending.outbox!.queuedAt, lastError: 'Register answered false' });
  t.equal(s.outbox.lastError?.message, 'Register answered false');
  t.equal(s.led, 'attention', 'clock not known synchronised on this machine: attention');
});

t.test('metrics in Prometheus text format', async (t) => {
  const { d, port } = await boot(t);
  t.equal(await d.engine.pay({ uid: 'm-1', amount: 100, order: [] }), 0);
  const r = await get(port, '/metrics');
  t.equal(r.status, 200);
  t.match(String(r.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  t.match(r.body, /^paypoint_session_active 1$/m);
  t.match(r.body, /^paypoint_healthy 1$/m);
  t.match(r.body, /^paypoint_hopper_coins\{value="1000"\} 100$/m);
  t.match(r.body, /^paypoint_device_state\{device="card",kind="card",state="ok"\} 1$/m);
  t.match(r.body, /^paypoint_build_info\{version="0\.1\.0",terminal_id="SIM-0001"\} 1$/m);
  t.match(r.body, /^paypoint_outbox_depth 0$/m);
});

t.test('HTTP Basic, read-only, no secrets anywhere', async (t) => {
  const { d, port } = await boot(t);
  t.equal((await get(port, '/api/status', { auth: null })).status, 401);
  const wrong = await get(port, '/', { auth: 'Basic ' + Buffer.from('tech:nope').toString('base64') });
  t.equal(wrong.status, 401);
  t.match(String(wrong.headers['www-authenticate']), /^Basic realm=/);
  for (const m of ['POST', 'PUT', 'DELETE', 'PATCH']) {
    const r = await get(port, '/api/status', { method: m });
    t.equal(r.status, 405, `${m} refused`);
    t.equal(r.headers.allow, 'GET, HEAD');
  }
  t.equal((await get(port, '/nope')).status, 404);
  const count = await d.store.count();
  for (const path of ['/', '/app.js', '/app.css', '/api/status', '/metrics', '/?lang=en']) {
    const r = await get(port, path);
    t.equal(r.status, 200, path);
    for (const p of PASSWORDS) t.notOk(r.body.includes(p), `${path} does not contain a password`);
  }
  t.equal(await d.store.count(), count, 'GETs changed nothing in the store');
  const page = await get(port, '/');
  t.match(page.body, /<html lang="ru"/, 'Russian by default');
  t.match(String(page.headers['content-security-policy']), /script-src 'self'/);
});

t.test('the event stream pushes a snapshot when a session changes', async (t) => {
  const { d, port } = await boot(t);
  const events: StatusSnapshot[] = [];
  const req = request({ host: '127.0.0.1', port, path: '/api/events', headers: { Authorization: AUTH } });
  const opened = new Promise<void>((resolve) => {
    req.on('response', (res) => {
      t.equal(res.headers['content-type'], 'text/event-stream; charset=utf-8');
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        buf += c;
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const data = block.split('\n').find((l) => l.startsWith('data: '));
          if (data) events.push(JSON.parse(data.slice(6)) as StatusSnapshot);
        }
        resolve();
      });
    });
  });
  req.end();
  t.teardown(() => req.destroy());
  await opened;
  await until(async () => events.length >= 1);
  t.equal(events[0].session, null, 'first event: the current state');
  t.equal(await d.engine.pay({ uid: 'sse-1', amount: 700, order: [] }), 0);
  await until(async () => events.some((e) => e.session?.uid === 'sse-1'));
  await d.sim!.coin!.insert(500);
  await until(async () => events.some((e) => e.session?.uid === 'sse-1' && e.session.credited === 500));
  t.pass('the stream followed Pay and the coin');
});
