/**
 * The delivery worker against the strict 1C stand-in under each fault the issue lists, each its own test:
 * real store (fsync'd nedb in a temp dir), real Register client on libcurl, real spyne server.
 */
import t from 'tap';
import { Writable } from 'node:stream';
import { ProcessingSchema } from '../../../src/config/schema.js';
import { createLogger } from '../../../src/services/log.js';
import { DeliveryWorker } from '../../../src/services/reports/delivery-worker.js';
import { RegisterClient } from '../../../src/services/reports/register-client.js';
import { SessionStore } from '../../../src/services/store/session-store.js';
import { freePort, tempDir } from '../../helpers/daemon.js';
import { queuePaid } from './outbox-fixtures.js';
import { selfSignedCert, startProcessingServer, type ProcessingServer, type ServerOptions } from './processing-server.js';
import { waitFor } from '../../helpers/wait.js';

interface Rig {
  srv: ProcessingServer;
  store: SessionStore;
  worker: DeliveryWorker;
  logs: string[];
  pendingUids(): Promise<string[]>;
}

async function rig(t: { teardown(fn: () => unknown): void }, srvOpts: ServerOptions, cfg: Record<string, unknown> = {}, uids: string[] = ['u1', 'u2', 'u3'], startServer = true): Promise<Rig> {
  const port = await freePort();
  const srv = await startProcessingServer({ port, ...srvOpts });
  if (!startServer) await srv.stop();
  t.teardown(() => srv.stop());
  const store = await SessionStore.open(tempDir());
  for (const u of uids) await queuePaid(store, u);
  const logs: string[] = [];
  const log = createLogger('debug', new Writable({ write: (c, _e, cb) => (logs.push(String(c)), cb()) }) as never);
  const scheme = srvOpts.cert ? 'https' : 'http';
  const sender = await RegisterClient.create(ProcessingSchema.parse({ url: `${scheme}://127.0.0.1:${port}/`, timeout_s: 5, connect_timeout_s: 2, retry_scale: 0.001, probe_interval_s: 1, ...cfg }));
  const c = ProcessingSchema.parse({ retry_scale: 0.001, probe_interval_s: 1, ...cfg });
  const worker = new DeliveryWorker({ store, sender, log, retryScale: c.retry_scale, probeIntervalMs: c.probe_interval_s * 1000 });
  t.teardown(() => worker.stop());
  return {
    srv,
    store,
    worker,
    logs,
    async pendingUids() {
      return (await store.pendingReports()).map((s) => s.uid);
    },
  };
}

const acceptedUids = (srv: ProcessingServer) => [...new Set(srv.accepted().map((r) => r.values!.uid))].sort();

t.test('server down at start and coming back: the probe resumes delivery (back-off alone would take 20 s and more)', async (t) => {
  // retry_scale 10: the first network back-off is 20-40 s; delivery within the deadline below proves the
  // probe (every 1 s) cut the pause short.
  const r = await rig(t, {}, { retry_scale: 10 }, ['u1', 'u2', 'u3'], false);
  await r.worker.start();
  await waitFor('a refused connection', () => r.worker.snapshot().link?.state === "down");
  t.equal(r.worker.snapshot().link?.cls, 'refused');
  t.same(await r.pendingUids(), ['u1', 'u2', 'u3'], 'nothing dropped while down');
  await r.srv.start();
  await waitFor('all delivered', async () => (await r.pendingUids()).length === 0, 15_000);
  t.same(acceptedUids(r.srv), ['u1', 'u2', 'u3']);
  t.equal(r.worker.snapshot().link?.state, 'up');
  t.ok(r.logs.some((l) => l.includes('probe sees the processing server again')), 'resumed by the probe');
  t.end();
});

t.test('server slow (timeout): retried, then delivered (a timed-out call the server still processed is a repeat the contract allows)', async (t) => {
  const r = await rig(t, { mode: 'slow', delay: 3 }, { timeout_s: 1 }, ['u1']);
  await r.worker.start();
  await waitFor('a timeout', () => r.worker.stats.byClass.timeout !== undefined);
  t.equal(r.worker.snapshot().lastErrorByClass.timeout?.uid, 'u1');
  await r.srv.control('ok');
  await waitFor('delivered', async () => (await r.pendingUids()).length === 0);
  t.same(acceptedUids(r.srv), ['u1']);
  t.end();
});

t.test('401: the link pauses (credentials), nothing is dropped; with the right credentials it is delivered', async (t) => {
  const r = await rig(t, { login: 'kiosk', password: 's3cret-Pa55' }, { retry_scale: 1 }, ['u1', 'u2']);
  await r.worker.start();
  await waitFor('401', () => r.worker.stats.byClass.auth !== undefined);
  t.equal(r.worker.snapshot().link?.cls, 'auth');
  t.equal(r.worker.stats.byClass.auth, 1, 'a 401 pauses the worker: the next report is not tried at once');
  t.same(await r.pendingUids(), ['u1', 'u2']);
  await r.worker.stop();

  const sender = await RegisterClient.create(ProcessingSchema.parse({ url: r.srv.url, use_auth: true, login: 'kiosk', password: 's3cret-Pa55' }));
  const w = new DeliveryWorker({ store: r.store, sender, log: createLogger('silent'), retryScale: 0.001 });
  t.teardown(() => w.stop());
  await w.start();
  await waitFor('delivered', async () => (await r.pendingUids()).length === 0);
  t.same(acceptedUids(r.srv), ['u1', 'u2']);
  t.notOk(r.logs.some((l) => l.includes('s3cret-Pa55')), 'the password is never logged');
  t.end();
});

t.test('SOAP fault with HTTP 500: the report is refused, flagged, retried, then delivered', async (t) => {
  const r = await rig(t, { mode: 'fault' }, {}, ['u1']);
  await r.worker.start();
  await waitFor('a fault', () => r.worker.stats.byClass.fault !== undefined);
  const snap = r.worker.snapshot();
  t.equal(snap.refused.length, 1);
  t.equal(snap.refused[0].lastErrorClass, 'fault');
  t.match(snap.refused[0].lastError, /processing failed \(test fault\)/, 'the reason is the fault string');
  t.equal(r.srv.received()[0].status, 500);
  await r.srv.control('ok');
  await waitFor('delivered', async () => (await r.pendingUids()).length === 0);
  t.same(acceptedUids(r.srv), ['u1']);
  t.end();
});

t.test('HTTP 502 with an HTML body: a server error pauses the link; delivered when it recovers', async (t) => {
  const r = await rig(t, { mode: 'html502' }, {}, ['u1', 'u2']);
  await r.worker.start();
  await waitFor('a 502', () => r.worker.stats.byClass.http5xx !== undefined);
  t.equal(r.worker.snapshot().link?.cls, 'http5xx');
  t.match(r.worker.snapshot().lastErrorByClass.http5xx?.detail, /HTTP 502/);
  t.equal(r.worker.snapshot().refused.length, 0, 'a proxy error is not held against the report');
  await r.srv.control('ok');
  await waitFor('delivered', async () => (await r.pendingUids()).length === 0);
  t.same(acceptedUids(r.srv), ['u1', 'u2']);
  t.end();
});

t.test('`false`: refused, kept and flagged with the reason, delivered once the server takes it', async (t) => {
  const r = await rig(t, { mode: 'false' }, {}, ['u1']);
  await r.worker.start();
  await waitFor('false', () => r.worker.stats.byClass.false !== undefined);
  const snap = r.worker.snapshot();
  t.equal(snap.depth, 1);
  t.equal(snap.refused[0].uid, 'u1');
  t.equal(snap.refused[0].lastErrorClass, 'false');
  const stored = (await r.store.pendingReports())[0].outbox!;
  t.equal(stored.refusals >= 1, true, 'the refusal is stored (fsync), not only in memory');
  await r.srv.control('ok');
  await waitFor('delivered', async () => (await r.pendingUids()).length === 0);
  t.same(acceptedUids(r.srv), ['u1']);
  t.end();
});

t.test('a body that is not XML: classified, retried, delivered later', async (t) => {
  const r = await rig(t, { mode: 'notxml' }, {}, ['u1']);
  await r.worker.start();
  await waitFor('bad response', () => r.worker.stats.byClass['bad-response'] !== undefined);
  t.same(await r.pendingUids(), ['u1']);
  await r.srv.control('ok');
  await waitFor('delivered', async () => (await r.pendingUids()).length === 0);
  t.same(acceptedUids(r.srv), ['u1']);
  t.end();
});

t.test('TLS with a self-signed certificate: refused without the CA, delivered with ca_file', async (t) => {
  const { cert, key } = await selfSignedCert();
  const r = await rig(t, { cert, key }, {}, ['u1']);
  await r.worker.start();
  await waitFor('tls failure', () => r.worker.stats.byClass.tls !== undefined);
  t.equal(r.worker.snapshot().link?.cls, 'tls');
  t.equal(r.srv.received().length, 0, 'nothing sent over an unverified connection');
  await r.worker.stop();

  const sender = await RegisterClient.create(ProcessingSchema.parse({ url: `https://127.0.0.1:${r.srv.port}/`, ca_file: cert }));
  const w = new DeliveryWorker({ store: r.store, sender, log: createLogger('silent'), retryScale: 0.001 });
  t.teardown(() => w.stop());
  await w.start();
  await waitFor('delivered', async () => (await r.pendingUids()).length === 0);
  t.same(acceptedUids(r.srv), ['u1']);
  t.end();
});

t.test('a refused report followed by good ones: the good ones are delivered, the refused one waits flagged', async (t) => {
  const r = await rig(t, { refuse: 'bad-' }, {}, ['bad-1', 'good-1', 'good-2', 'good-3', 'good-4']);
  await r.worker.start();
  await waitFor('good ones delivered', async () => (await r.pendingUids()).join() === 'bad-1');
  t.same(acceptedUids(r.srv), ['good-1', 'good-2', 'good-3', 'good-4']);
  const snap = r.worker.snapshot();
  t.equal(snap.depth, 1);
  t.same(snap.refused.map((p) => p.uid), ['bad-1']);
  t.equal(snap.refused[0].lastErrorClass, 'false');
  t.equal(snap.lastSuccess?.uid !== undefined, true);
  t.equal(snap.link?.state, 'up', 'a refusal is no link failure');
  t.end();
});
