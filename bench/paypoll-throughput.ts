/**
 * (a) PayPoll throughput and latency at 32 connections, against a bare node:http server answering the
 * very same SOAP response (same bytes, same Content-Type), each in its own process, loaded in turn by the
 * same autocannon. Target: at least 50% of the bare server's throughput, p99 under 5 ms.
 */
import { payXml, pollXml, returnCode } from '../test/helpers/daemon.js';
import { autocannon, cpuMs, post, printFigures, spawnNodeScript, startBenchDaemon, type AutocannonResult, type Figure } from './common.js';

const CONNECTIONS = 32;

export interface PollResultFigures {
  daemon: AutocannonResult;
  bare: AutocannonResult;
  figures: Figure[];
}

export async function run(opts: { durationS?: number } = {}): Promise<PollResultFigures> {
  const duration = opts.durationS ?? 10;
  const d = await startBenchDaemon();
  try {
    // A real session to poll: PayPoll then looks it up in the store (answer 1, in progress).
    const uid = `bench-poll-${process.pid}`;
    const pay = await post(d.port, payXml(uid, 1000));
    if (returnCode(pay.body) !== 0) throw new Error(`Pay did not answer 0: ${pay.body.slice(0, 300)}`);
    const body = pollXml(uid);
    const sample = await post(d.port, body);
    if (sample.status !== 200) throw new Error(`PayPoll answered HTTP ${sample.status}`);

    // The bare server answers with exactly what the daemon answered.
    const script = `
      const body = Buffer.from(${JSON.stringify(sample.body)});
      const type = ${JSON.stringify(sample.contentType)};
      require('node:http').createServer((req, res) => {
        req.resume();
        req.on('end', () => { res.writeHead(200, { 'Content-Type': type, 'Content-Length': body.length }); res.end(body); });
      }).listen(0, '127.0.0.1', function () { console.log('ready ' + this.address().port); });`;
    const bare = await spawnNodeScript(script, 'ready');
    try {
      const barePort = Number(bare.line.split(' ')[1]);
      const common = { connections: CONNECTIONS, duration, method: 'POST', headers: { 'Content-Type': 'text/xml; charset=utf-8' }, body };
      // Warm both up (JIT, connection setup), then measure.
      await autocannon({ ...common, url: `http://127.0.0.1:${d.port}/`, duration: 2 });
      const d0 = cpuMs(d.child.pid!);
      const daemonRes = await autocannon({ ...common, url: `http://127.0.0.1:${d.port}/` });
      const daemonCpuUs = ((cpuMs(d.child.pid!) - d0) * 1000) / daemonRes.requests.total;
      await autocannon({ ...common, url: `http://127.0.0.1:${barePort}/`, duration: 2 });
      const b0 = cpuMs(bare.pid);
      const bareRes = await autocannon({ ...common, url: `http://127.0.0.1:${barePort}/` });
      const bareCpuUs = ((cpuMs(bare.pid) - b0) * 1000) / bareRes.requests.total;
      const ratio = daemonRes.requests.average / bareRes.requests.average;
      const figures: Figure[] = [
        { name: 'PayPoll throughput', value: daemonRes.requests.average, unit: 'req/s', baseline: { name: 'bare node:http, same response', value: bareRes.requests.average }, target: '>= 50% of baseline', ratio, met: ratio >= 0.5 },
        { name: 'PayPoll latency p50', value: daemonRes.latency.p50, unit: 'ms', baseline: { name: 'bare p50', value: bareRes.latency.p50 }, target: '(reported)', ratio: daemonRes.latency.p50 / Math.max(bareRes.latency.p50, 0.001), met: true },
        // The load of other work moves throughput and latency; the CPU a request costs moves much less.
        { name: 'PayPoll CPU per request (user + system)', value: daemonCpuUs, unit: 'us', baseline: { name: 'bare node:http, same response', value: bareCpuUs }, target: '(reported)', ratio: daemonCpuUs / bareCpuUs, met: true },
        { name: 'PayPoll latency p99', value: daemonRes.latency.p99, unit: 'ms', baseline: { name: 'bare p99', value: bareRes.latency.p99 }, target: '< 5 ms', ratio: daemonRes.latency.p99 / 5, met: daemonRes.latency.p99 < 5 },
      ];
      printFigures(`PayPoll at ${CONNECTIONS} connections, ${duration} s each (errors: daemon ${daemonRes.errors + daemonRes.non2xx}, bare ${bareRes.errors + bareRes.non2xx})`, figures);
      return { daemon: daemonRes, bare: bareRes, figures };
    } finally {
      await bare.stop();
    }
  } finally {
    await d.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
