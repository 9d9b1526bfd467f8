/**
 * The status port's two cash actions (docs/appliance.md, "Cash: collection and refill") on the real
 * daemon in-process: who may record (the status login, the admin secret; nobody when neither is set),
 * JSON only, bad counts refused with 304 and nothing changed, refused with 303 while a payment is open,
 * and GET still changes nothing.
 */
import t from 'tap';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { defaultConfig } from '../../../src/config/schema.js';
import { startDaemon, type Daemon } from '../../../src/main.js';
import { silentLogger } from '../../../src/services/log.js';
import { ErrorCode } from '../../../src/errors.js';
import { freePort, tempDir } from '../../helpers/daemon.js';

const SECRET = 'the-admin-secret';
const LOGIN = 'Basic ' + Buffer.from('tech:pw-status-9').toString('base64');

function post(port: number, path: string, body: string, headers: Record<string, string>): Promise<{ status: number; json: { record?: { by: string }; error?: { code: number } } }> {
  return new Promise((res, rej) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, agent: false }, (r) => {
      let b = '';
      r.on('data', (d) => (b += d));
      r.on('end', () => res({ status: r.statusCode ?? 0, json: b ? JSON.parse(b) : {} }));
    });
    req.on('error', rej);
    req.end(body);
  });
}

async function boot(t: { teardown(fn: () => unknown): void }, opts: { auth: boolean; secret: boolean }): Promise<{ d: Daemon; port: number }> {
  const cfg = defaultConfig();
  cfg.storage.data_dir = tempDir();
  cfg.api = { ...cfg.api, port: await freePort(), bind: '127.0.0.1' };
  cfg.status = { ...cfg.status, port: await freePort(), bind: '127.0.0.1', require_auth: opts.auth, login: opts.auth ? 'tech' : '', password: opts.auth ? 'pw-status-9' : '' };
  cfg.unit.admin_secret_sha256 = opts.secret ? createHash('sha256').update(SECRET).digest('hex') : '';
  cfg.led.enabled = false;
  const d = await startDaemon(cfg, { log: silentLogger() });
  t.teardown(() => d.stop());
  return { d, port: cfg.status.port };
}

t.test('who may record: the status login or the admin secret', async (t) => {
  const { d, port } = await boot(t, { auth: true, secret: true });
  const refill = JSON.stringify({ added: { 100: 5 } });
  t.equal((await post(port, '/api/cash/refill', refill, {})).status, 401, 'no credentials');
  t.equal((await post(port, '/api/cash/refill', refill, { 'X-PayPoint-Admin-Secret': 'wrong' })).status, 403, 'a wrong secret');
  const byLogin = await post(port, '/api/cash/refill', refill, { Authorization: LOGIN });
  t.equal(byLogin.status, 200);
  t.equal(byLogin.json.record?.by, 'login:tech');
  const bySecret = await post(port, '/api/cash/collect', JSON.stringify({ declared: {} }), { 'X-PayPoint-Admin-Secret': SECRET });
  t.equal(bySecret.status, 200);
  t.equal(bySecret.json.record?.by, 'admin-secret');
  t.equal((await post(port, '/api/cash/refill', 'added=1', { Authorization: LOGIN, 'Content-Type': 'application/x-www-form-urlencoded' })).status, 415, 'a cross-site form post');
  const before = d.store.ledgerStamp();
  for (const body of ['{', JSON.stringify({ added: { 100: -1 } }), JSON.stringify({ added: { 300: 1 } }), JSON.stringify({ added: {} }), JSON.stringify({ added: { 100: 1 }, extra: 1 }), JSON.stringify({ added: { 100: 1 }, note: 'a\nb' })]) {
    const r = await post(port, '/api/cash/refill', body, { Authorization: LOGIN });
    t.equal(r.status, 400, body);
    if (body !== '{') t.equal(r.json.error?.code, ErrorCode.CashInvalidCounts);
  }
  t.same(d.store.ledgerStamp(), before, 'refused requests changed nothing');
  t.equal((await post(port, '/api/cash/refill', refill, { Authorization: LOGIN })).status, 200);

  t.equal(await d.engine.pay({ uid: 'open-1', amount: 1000, order: [] }), 0);
  const during = await post(port, '/api/cash/collect', JSON.stringify({ declared: {} }), { Authorization: LOGIN });
  t.equal(during.status, 409);
  t.equal(during.json.error?.code, ErrorCode.CashSessionOpen);
});

t.test('with neither a status login nor an admin secret, nobody records', async (t) => {
  const { port } = await boot(t, { auth: false, secret: false });
  const r = await post(port, '/api/cash/refill', JSON.stringify({ added: { 100: 1 } }), {});
  t.equal(r.status, 403);
  t.equal((await post(port, '/api/cash/refill', JSON.stringify({ added: { 100: 1 } }), { 'X-PayPoint-Admin-Secret': '' })).status, 403, 'an empty secret matches no unset hash');
});
