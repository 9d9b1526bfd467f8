/**
 * (d) Time from process start to SOAP ready: `bin/paypoint serve` spawned, until a PayPoll is answered
 * (and, for the record, until its "ready" log line), against a bare `node -e` start (spawn to exit of an
 * empty script). Medians of several runs, alternating. Target: within 10x.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, freePort, pollXml, returnCode, tempDir } from '../test/helpers/daemon.js';
import { BENCH_CONFIG, fmt, median, post, printFigures, sleep, unitEnvironment, type Figure } from './common.js';

/** Spawns `entry serve` (default bin/paypoint) and times it until SOAP answers. */
export async function daemonStart(configFile: string, entry: string = BIN): Promise<{ readyLine: number; soap: number }> {
  const dataDir = tempDir('paypoint-bench-start-');
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, [entry, 'serve', '--data-dir', dataDir, '--port', String(port), '--config', configFile], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...unitEnvironment() } });
  let readyLine = NaN;
  let buf = '';
  child.stdout!.on('data', (d) => {
    buf += d;
    if (Number.isNaN(readyLine) && buf.includes('"msg":"ready"')) readyLine = performance.now() - t0;
  });
  let soap = NaN;
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error('daemon exited during start');
      try {
        const r = await post(port, pollXml('startup-probe'));
        if (returnCode(r.body) === -4) {
          soap = performance.now() - t0;
          break;
        }
      } catch {
        /* not listening yet */
      }
      await sleep(2);
    }
    // pino writes asynchronously: the "ready" line may reach the pipe a moment after SOAP answers.
    for (let i = 0; i < 500 && Number.isNaN(readyLine); i++) await sleep(10);
  } finally {
    await new Promise<void>((res) => {
      child.on('exit', () => res());
      child.kill('SIGTERM');
    });
  }
  return { readyLine, soap };
}

export function bareNode(): Promise<number> {
  return new Promise((res) => {
    const t0 = performance.now();
    spawn(process.execPath, ['-e', ''], { stdio: 'ignore' }).on('exit', () => res(performance.now() - t0));
  });
}

export async function run(opts: { runs?: number } = {}): Promise<Figure[]> {
  const runs = opts.runs ?? 7;
  const configFile = join(tempDir('paypoint-bench-cfg-'), 'paypoint.toml');
  writeFileSync(configFile, BENCH_CONFIG);
  const soap: number[] = [];
  const ready: number[] = [];
  const bare: number[] = [];
  await daemonStart(configFile); // the first start warms the page cache; not counted
  await bareNode();
  for (let i = 0; i < runs; i++) {
    const r = await daemonStart(configFile);
    soap.push(r.soap);
    ready.push(r.readyLine);
    bare.push(await bareNode());
  }
  const s = median(soap);
  const b = median(bare);
  const figures: Figure[] = [
    { name: 'start to first PayPoll answered (median)', value: s, unit: 'ms', baseline: { name: 'bare `node -e ""` start to exit (median)', value: b }, target: 'within 10x of baseline', ratio: s / b, met: s / b <= 10 },
    { name: 'start to "ready" log line (median)', value: median(ready), unit: 'ms', baseline: null, target: '(reported)', ratio: null, met: true },
  ];
  printFigures(`Start-up, ${runs} runs (SOAP ready: ${soap.map((x) => fmt(x, 0)).join(' ')} ms; node -e: ${bare.map((x) => fmt(x, 0)).join(' ')} ms)`, figures);
  return figures;
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
