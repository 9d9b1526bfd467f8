/**
 * Benchmark (docs/contract.md, "3. The report"): drain 10,000 queued reports into a fast local fake 1C server.
 *  - reports/s of the daemon's delivery worker (one at a time, each marked delivered with an fsync),
 *    against a bare loop of the same SOAP POST on the same libcurl client in the same run;
 *  - PayPoll p99 latency during the drain against idle (target: within 2x: draining must not slow the
 *    live service).
 * The daemon is the real one (bin/paypoint serve, dist/) in a child process; its data directory is
 * prefilled with 10,000 paid sessions made by the real state machine, written in nedb's line format.
 * Usage: node --import tsx bench/reports-drain.ts [N]   (make build first); also run by bench/run-all.ts.
 * Figures are reported, never asserted.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { CurlHttpClient } from '../src/services/reports/http-client.js';
import { pathToFileURL } from 'node:url';
import { freePort, pollXml, startDaemonProcess, tempDir } from '../test/helpers/daemon.js';
import { prefillPaidReports, printFigures, type Figure } from './common.js';

const require = createRequire(import.meta.url);
const autocannon = require('autocannon') as (opts: Record<string, unknown>) => Promise<{ latency: Record<string, number>; requests: { total: number }; non2xx: number; errors: number }>;
const PATH = '/bench/ws/processing.1cws';
const RESPONSE =
  '<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><m:RegisterResponse xmlns:m="http://www.stampsoft.ru/processing"><m:return>true</m:return></m:RegisterResponse></soap:Body></soap:Envelope>';


async function pollLoad(url: string, seconds: number): Promise<{ p50: number; p99: number; n: number }> {
  const r = await autocannon({
    url,
    method: 'POST',
    body: pollXml('b-0'),
    headers: { 'content-type': 'text/xml; charset=utf-8' },
    connections: 2,
    overallRate: 100,
    duration: seconds,
  });
  return { p50: r.latency.p50, p99: r.latency.p99, n: r.requests.total };
}

/** Runs the benchmark with N queued reports; prints and returns its figures. */
export async function run(N = 10_000): Promise<Figure[]> {
  const fakePort = await freePort();
  const received: number[] = [];
  const seen = new Set<string>();
  let firstBody = '';
  const fake = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const uid = /<uid>([^<]*)<\/uid>/.exec(body)?.[1];
      if (uid?.startsWith('b-')) {
        received.push(performance.now());
        seen.add(uid);
        firstBody ||= body;
      }
      res.writeHead(200, { 'Content-Type': 'text/xml; charset=utf-8' });
      res.end(RESPONSE);
    });
  });
  fake.keepAliveTimeout = 30_000;

  const dataDir = tempDir('paypoint-bench-');
  prefillPaidReports(dataDir, N);
  const daemon = await startDaemonProcess({
    dataDir,
    configText: `[status]\nenabled = false\n[led]\nenabled = false\n[processing]\nurl = "http://127.0.0.1:${fakePort}/"\npath = "${PATH}"\nprobe_interval_s = 1\n`,
  });
  try {
    // Idle: the fake server is not listening yet, so the worker is paused (probing once a second).
    const idle = await pollLoad(daemon.url, 5);

    await new Promise<void>((r) => fake.listen(fakePort, '127.0.0.1', () => r()));
    const t0 = performance.now();
    while (received.length === 0) await new Promise((r) => setTimeout(r, 10));
    const during = await pollLoad(daemon.url, 5);
    while (seen.size < N) await new Promise((r) => setTimeout(r, 50));
    const drainS = (received[received.length - 1] - received[0]) / 1000;
    const workerRate = N / drainS;
    const startLagMs = received[0] - t0;

    // The bare loop: the same SOAP POST on the same libcurl client, nothing else.
    const http = new CurlHttpClient({ connectTimeoutMs: 5000, timeoutMs: 30_000, caFile: '', auth: null });
    const headers = { 'Content-Type': 'text/xml; charset=utf-8', SOAPAction: '"http://www.stampsoft.ru/processing#processing:Register"' };
    const tb = performance.now();
    for (let i = 0; i < N; i++) {
      await new Promise<void>((res, rej) => http.request(`http://127.0.0.1:${fakePort}${PATH}`, firstBody, (e) => (e ? rej(e) : res()), headers));
    }
    const bareRate = N / ((performance.now() - tb) / 1000);
    http.close();

    const out = {
      reports: N,
      worker_reports_per_s: Math.round(workerRate),
      bare_posts_per_s: Math.round(bareRate),
      worker_vs_bare: +(workerRate / bareRate).toFixed(2),
      resume_after_server_up_ms: Math.round(startLagMs),
      paypoll_idle_p50_ms: idle.p50,
      paypoll_idle_p99_ms: idle.p99,
      paypoll_drain_p50_ms: during.p50,
      paypoll_drain_p99_ms: during.p99,
      paypoll_p99_drain_vs_idle: +(during.p99 / Math.max(1, idle.p99)).toFixed(2),
      paypoll_requests: idle.n + during.n,
    };
    process.stdout.write(`reports-drain ${JSON.stringify(out)}\n`);
    const figures: Figure[] = [
      {
        name: `reports drained per second (${N} queued, sent one at a time, marked delivered by group-committed fsync)`,
        value: workerRate,
        unit: 'reports/s',
        baseline: { name: 'bare loop of the same SOAP POST, same libcurl client', value: bareRate },
        target: '(reported)',
        ratio: workerRate / bareRate,
        met: true,
      },
      {
        name: 'PayPoll p99 during the drain',
        value: during.p99,
        unit: 'ms',
        baseline: { name: 'PayPoll p99 idle (worker paused)', value: idle.p99 },
        target: 'within 2x of idle',
        ratio: during.p99 / Math.max(1, idle.p99),
        met: during.p99 <= 2 * Math.max(1, idle.p99),
      },
    ];
    printFigures('reports drain (docs/contract.md, "3. The report")', figures);
    return figures;
  } finally {
    await daemon.stop();
    fake.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run(Number(process.argv[2] ?? 10_000));
