/**
 * (b) Pay latency (one client, a new uid each time; the previous session cancelled through the simulator's
 * control socket so the kiosk is free again) against a bare append + fdatasync of the same number of
 * bytes in the same directory: the floor any durable Pay pays on this disk. Target: p50 within 3x.
 */
import { closeSync, fdatasyncSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { sendSimCommand } from '../src/cli/sim-client.js';
import { simSocketPath } from '../src/services/sim-control/sim-control-protocol.js';
import { payXml, returnCode } from '../test/helpers/daemon.js';
import { percentile, post, printFigures, spawnNodeScript, startBenchDaemon, type Figure } from './common.js';
import { responseEnvelope } from '../src/services/soap/envelopes.js';

/** What the daemon answers an accepted Pay, byte for byte, for the floor server. */
const PAY_ANSWER = responseEnvelope('Pay', 0).toString('utf8');

export async function run(opts: { count?: number } = {}): Promise<Figure[]> {
  const count = opts.count ?? 300;
  const d = await startBenchDaemon();
  const sock = simSocketPath(d.dataDir, d.port);
  const times: number[] = [];
  let lineBytes = 0;
  const items = [{ id: '4600001', name: 'Хлеб', count: 1, cost: 4500 }, { id: '4600002', name: 'Молоко', count: '0.5', cost: 8900 }];
  try {
      for (let i = 0; i < count + 20; i++) {
      const uid = `bench-pay-${process.pid}-${i}`;
      const t0 = performance.now();
      const r = await post(d.port, payXml(uid, 9000, items));
      const ms = performance.now() - t0;
      if (returnCode(r.body) !== 0) throw new Error(`Pay ${i} answered ${returnCode(r.body)}`);
      if (i >= 20) times.push(ms); // the first 20 warm up the JIT
      const c = await sendSimCommand(sock, { cmd: 'cancel' });
      if (!c.ok) throw new Error(`cancel failed: ${c.message}`);
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
  for (let i = 0; i < count + 20; i++) {
    const t0 = performance.now();
    const fd = openSync(file, 'a');
    writeSync(fd, payload);
    fdatasyncSync(fd);
    closeSync(fd);
    if (i >= 20) base.push(performance.now() - t0);
  }
  unlinkSync(file);

  // The floor of a durable answer over HTTP, same client, same run: a bare node:http server in its own
  // process that appends the same bytes to a file kept open in the same directory, fdatasyncs it (both
  // through libuv's thread pool, as the daemon does) and only then answers with the daemon's Pay bytes.
  // What a Pay costs above this is ours: the strict parse, the engine, nedb, the log line.
  const floor = await spawnNodeScript(
    `const fs = require('node:fs'); const line = Buffer.alloc(${lineBytes}, 0x61);
     const body = Buffer.from(${JSON.stringify(PAY_ANSWER)});
     fs.promises.open(${JSON.stringify(join(d.dataDir, 'bench-floor.tmp'))}, 'a').then((fh) => {
       require('node:http').createServer((req, res) => {
         req.resume();
         req.on('end', async () => { await fh.write(line); await fh.datasync(); res.writeHead(200, { 'Content-Type': 'text/xml; charset=utf-8', 'Content-Length': body.length }); res.end(body); });
       }).listen(0, '127.0.0.1', function () { console.log('ready ' + this.address().port); });
     });`,
    'ready',
  );
  const floorTimes: number[] = [];
  try {
    const port = Number(floor.line.split(' ')[1]);
    for (let i = 0; i < count + 20; i++) {
      const body = payXml(`bench-floor-${i}`, 9000, items);
      const t0 = performance.now();
      const r = await post(port, body);
      if (returnCode(r.body) !== 0) throw new Error('floor server answered no 0');
      if (i >= 20) floorTimes.push(performance.now() - t0);
    }
  } finally {
    await floor.stop();
  }
  unlinkSync(join(d.dataDir, 'bench-floor.tmp'));

  times.sort((a, b) => a - b);
  base.sort((a, b) => a - b);
  floorTimes.sort((a, b) => a - b);
  const f50 = percentile(floorTimes, 50);
  const p50 = percentile(times, 50);
  const b50 = percentile(base, 50);
  const figures: Figure[] = [
    { name: 'Pay latency p50', value: p50, unit: 'ms', baseline: { name: `append+fdatasync of ${lineBytes} B, same dir`, value: b50 }, target: 'p50 within 3x of baseline', ratio: p50 / b50, met: p50 / b50 <= 3 },
    { name: 'Pay latency p50 against the floor', value: p50, unit: 'ms', baseline: { name: 'bare node:http round trip + append+fdatasync (same client, same bytes)', value: f50 }, target: '(reported)', ratio: p50 / f50, met: true },
    { name: 'Pay latency p99', value: percentile(times, 99), unit: 'ms', baseline: { name: 'append+fdatasync p99', value: percentile(base, 99) }, target: '(reported)', ratio: percentile(times, 99) / percentile(base, 99), met: true },
  ];
  printFigures(`Pay, ${count} sequential calls (each a new session, then cancelled)`, figures);
  return figures;
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
