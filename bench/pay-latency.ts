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
import { percentile, post, printFigures, startBenchDaemon, type Figure } from './common.js';

export async function run(opts: { count?: number } = {}): Promise<Figure[]> {
  const count = opts.count ?? 300;
  const d = await startBenchDaemon();
  const sock = simSocketPath(d.dataDir, d.port);
  const times: number[] = [];
  let lineBytes = 0;
  try {
    const items = [{ id: '4600001', name: 'Хлеб', count: 1, cost: 4500 }, { id: '4600002', name: 'Молоко', count: '0.5', cost: 8900 }];
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

  times.sort((a, b) => a - b);
  base.sort((a, b) => a - b);
  const p50 = percentile(times, 50);
  const b50 = percentile(base, 50);
  const figures: Figure[] = [
    { name: 'Pay latency p50', value: p50, unit: 'ms', baseline: { name: `append+fdatasync of ${lineBytes} B, same dir`, value: b50 }, target: 'p50 within 3x of baseline', ratio: p50 / b50, met: p50 / b50 <= 3 },
    { name: 'Pay latency p99', value: percentile(times, 99), unit: 'ms', baseline: { name: 'append+fdatasync p99', value: percentile(base, 99) }, target: '(reported)', ratio: percentile(times, 99) / percentile(base, 99), met: true },
  ];
  printFigures(`Pay, ${count} sequential calls (each a new session, then cancelled)`, figures);
  return figures;
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
