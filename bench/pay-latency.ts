/**
 * (b) Pay latency (one client, a new uid each time; the previous session cancelled through the simulator's
 * control socket so the kiosk is free again) against a bare append + fdatasync of the same number of
 * bytes in the same directory: the floor any durable Pay pays on this disk. Target: p50 within 3x.
 *
 * The timed client is `LeanHttpClient` (common.ts): node's own `http.request` adds ~0.3 ms of client
 * work per call, which is no part of the daemon's latency; its figures are printed as reported lines.
 * The floor servers are timed by the same clients, so every ratio compares like with like.
 */
import { closeSync, fdatasyncSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { sendSimCommand } from '../src/cli/sim-client.js';
import { simSocketPath } from '../src/services/sim-control/sim-control-protocol.js';
import { payXml, returnCode } from '../test/helpers/daemon.js';
import { LeanHttpClient, cpuMs, percentile, post, printFigures, spawnNodeScript, startBenchDaemon, type Figure } from './common.js';
import { responseEnvelope } from '../src/services/soap/envelopes.js';

/** What the daemon answers an accepted Pay, byte for byte, for the floor server. */
const PAY_ANSWER = responseEnvelope('Pay', 0).toString('utf8');
const ITEMS = [{ id: '4600001', name: 'Хлеб', count: 1, cost: 4500 }, { id: '4600002', name: 'Молоко', count: '0.5', cost: 8900 }];
const WARM = 20;

/** A client: `prepare` makes the request from the body before the clock starts, `send` is timed. */
interface Client {
  prepare(body: string): unknown;
  send(prepared: unknown): Promise<{ status: number; body: string }>;
}

/** The lean client on one connection, and node's http client (global agent, keep-alive). */
async function clients(port: number): Promise<{ lean: Client; node: Client; close: () => void }> {
  const c = new LeanHttpClient(port);
  await c.open();
  return {
    lean: { prepare: (b) => LeanHttpClient.postBytes(b), send: (bytes) => c.request(bytes as Buffer) },
    node: { prepare: (b) => b, send: (b) => post(port, b as string) },
    close: () => c.close(),
  };
}

/**
 * `count` timed calls per client after WARM untimed ones, the clients taking turns call by call (so that
 * neither sees a warmer daemon or a quieter machine than the other); `between` runs untimed after each
 * call (the cancel). Returns each client's times, sorted.
 */
async function timeCalls(cs: Client[], count: number, uid: (i: number, k: number) => string, between?: () => Promise<void>): Promise<number[][]> {
  const times: number[][] = cs.map(() => []);
  for (let i = 0; i < count + WARM; i++) {
    for (let k = 0; k < cs.length; k++) {
      const req = cs[k].prepare(payXml(uid(i, k), 9000, ITEMS));
      const t0 = performance.now();
      const r = await cs[k].send(req);
      const ms = performance.now() - t0;
      if (returnCode(r.body) !== 0) throw new Error(`Pay ${uid(i, k)} answered ${returnCode(r.body) ?? r.body.slice(0, 200)}`);
      if (i >= WARM) times[k].push(ms); // the first calls warm up the JIT
      await between?.();
    }
  }
  return times.map((t) => t.sort((a, b) => a - b));
}

/** How a floor server makes its append durable before it answers. */
type FloorMode = 'dsync' | 'fdatasync' | 'sync' | 'none';
const FLOOR_MODES: Record<FloorMode, { flags: string; durable: string; what: string }> = {
  // The daemon's way (base/fsync.ts DurableAppender): one write on an O_DSYNC descriptor, one thread-pool round trip.
  dsync: { flags: 'fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_APPEND | fs.constants.O_DSYNC', durable: 'await fh.write(line);', what: 'one O_DSYNC write (thread pool)' },
  // The daemon's previous way: write, then fdatasync, two round trips.
  fdatasync: { flags: "'a'", durable: 'await fh.write(line); await fh.datasync();', what: 'write + fdatasync (thread pool, two hops)' },
  // No thread pool at all: the O_DSYNC write blocks the event loop (what the daemon does not do: see README).
  sync: { flags: 'fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_APPEND | fs.constants.O_DSYNC', durable: 'fs.writeSync(fh.fd, line);', what: 'one O_DSYNC writeSync in the main thread' },
  // The HTTP round trip alone.
  none: { flags: "'a'", durable: 'void fh;', what: 'no write (the HTTP round trip alone)' },
};

/**
 * A floor: a bare node:http server in its own process that appends `lineBytes` to a file kept open in
 * `dir`, makes it durable as `mode` says, and only then answers with the daemon's Pay bytes. What a Pay
 * costs above the `dsync` floor is ours: the strict parse, the engine, nedb, the log line.
 */
async function floorServer(dir: string, lineBytes: number, mode: FloorMode) {
  const file = join(dir, `bench-floor-${mode}.tmp`);
  const { flags, durable } = FLOOR_MODES[mode];
  const srv = await spawnNodeScript(
    `const fs = require('node:fs'); const line = Buffer.alloc(${lineBytes}, 0x61);
     const body = Buffer.from(${JSON.stringify(PAY_ANSWER)});
     fs.promises.open(${JSON.stringify(file)}, ${flags}, 0o600).then((fh) => {
       require('node:http').createServer((req, res) => {
         req.resume();
         req.on('end', async () => { ${durable} res.writeHead(200, { 'Content-Type': 'text/xml; charset=utf-8', 'Content-Length': body.length }); res.end(body); });
       }).listen(0, '127.0.0.1', function () { console.log('ready ' + this.address().port); });
     });`,
    'ready',
  );
  return { port: Number(srv.line.split(' ')[1]), stop: async () => (await srv.stop(), unlinkSync(file)) };
}

export async function run(opts: { count?: number } = {}): Promise<Figure[]> {
  const count = opts.count ?? 300;
  const d = await startBenchDaemon();
  const sock = simSocketPath(d.dataDir, d.port);
  const cancel = async () => {
    const c = await sendSimCommand(sock, { cmd: 'cancel' });
    if (!c.ok) throw new Error(`cancel failed: ${c.message}`);
  };
  let lean: number[], viaNode: number[];
  let cpuPerCycle = NaN;
  let lineBytes = 0;
  try {
    const c = await clients(d.port);
    try {
      const cpu0 = cpuMs(d.child.pid!);
      [lean, viaNode] = await timeCalls([c.lean, c.node], count, (i, k) => `bench-pay-${process.pid}-${k ? 'n' : ''}${i}`, cancel);
      cpuPerCycle = (cpuMs(d.child.pid!) - cpu0) / (2 * (count + WARM));
    } finally {
      c.close();
    }
    // The bytes one Pay appends: the new session's line in the datafile.
    const line = readFileSync(join(d.dataDir, 'sessions.db'), 'utf8')
      .split('\n')
      .find((l) => l.includes(`bench-pay-${process.pid}-5"`) && l.includes('"state":"paying"'));
    lineBytes = Buffer.byteLength((line ?? '') + '\n');
  } finally {
    await d.stop();
  }

  // Baseline: the same bytes appended and fdatasync'd, open-write-sync-close each time, same directory.
  const file = join(d.dataDir, 'bench-fsync.tmp');
  const payload = Buffer.alloc(lineBytes, 0x61);
  const base: number[] = [];
  for (let i = 0; i < count + WARM; i++) {
    const t0 = performance.now();
    const fd = openSync(file, 'a');
    writeSync(fd, payload);
    fdatasyncSync(fd);
    closeSync(fd);
    if (i >= WARM) base.push(performance.now() - t0);
  }
  unlinkSync(file);
  base.sort((a, b) => a - b);

  // The floors, same clients, same run.
  const floors = {} as Record<FloorMode, { lean: number[]; node: number[] }>;
  for (const mode of Object.keys(FLOOR_MODES) as FloorMode[]) {
    const srv = await floorServer(d.dataDir, lineBytes, mode);
    try {
      const c = await clients(srv.port);
      try {
        const [lean, node] = await timeCalls([c.lean, c.node], count, (i, k) => `bench-floor-${k ? 'n' : ''}${i}`);
        floors[mode] = { lean, node };
      } finally {
        c.close();
      }
    } finally {
      await srv.stop();
    }
  }

  const p = (xs: number[], q = 50) => percentile(xs, q);
  const b50 = p(base);
  const p50 = p(lean);
  const f50 = p(floors.dsync.lean);
  const figures: Figure[] = [
    { name: 'Pay latency p50', value: p50, unit: 'ms', baseline: { name: `append+fdatasync of ${lineBytes} B, same dir`, value: b50 }, target: 'p50 within 3x of baseline', ratio: p50 / b50, met: p50 / b50 <= 3 },
    { name: 'Pay latency p50 against the floor', value: p50, unit: 'ms', baseline: { name: `bare node:http + ${FLOOR_MODES.dsync.what} (same client, same bytes)`, value: f50 }, target: '(reported)', ratio: p50 / f50, met: true },
    ...(Object.keys(FLOOR_MODES) as FloorMode[]).map((m): Figure => ({ name: `floor, ${FLOOR_MODES[m].what}`, value: p(floors[m].lean), unit: 'ms', baseline: { name: 'append+fdatasync', value: b50 }, target: '(reported)', ratio: p(floors[m].lean) / b50, met: true })),
    { name: 'Pay latency p99', value: p(lean, 99), unit: 'ms', baseline: { name: 'append+fdatasync p99', value: p(base, 99) }, target: '(reported)', ratio: p(lean, 99) / p(base, 99), met: true },
    { name: 'daemon CPU per Pay-and-cancel cycle (all threads)', value: cpuPerCycle * 1000, unit: 'µs', baseline: null, target: '(reported)', ratio: null, met: true },
    { name: "Pay p50, node's http client", value: p(viaNode), unit: 'ms', baseline: { name: "floor (O_DSYNC), node's http client", value: p(floors.dsync.node) }, target: '(reported)', ratio: p(viaNode) / p(floors.dsync.node), met: true },
  ];
  printFigures(`Pay, ${count} sequential calls (each a new session, then cancelled)`, figures);
  return figures;
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
