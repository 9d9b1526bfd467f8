/**
 * Command-line start-up: each command loads only its own code (dynamic import per command), so a
 * technician's `paypoint sim coin 10` or `paypoint --help` does not load the daemon. Measured: median
 * wall time from spawn to exit, and the number of module files the process opened (.js/.json/.node,
 * counted with strace), against a bare `node -e ""` in the same run. Reported, never asserted.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, tempDir } from '../test/helpers/daemon.js';
import { fmt, median, printFigures, type Figure } from './common.js';

const COMMANDS: string[][] = [['--help'], ['sim', 'coin', '10', '--data-dir', '/nonexistent-bench'], ['config', 'doc'], ['try', 'pay', '--help'], ['serve', '--help']];

function timed(args: string[]): Promise<number> {
  return new Promise((res) => {
    const t0 = performance.now();
    spawn(process.execPath, args, { stdio: 'ignore' }).on('exit', () => res(performance.now() - t0));
  });
}

function modulesOpened(args: string[]): number {
  const out = join(tempDir('paypoint-bench-cli-'), 'strace.txt');
  const r = spawnSync('strace', ['-f', '-e', 'trace=openat', '-o', out, process.execPath, ...args], { stdio: 'ignore' });
  if (r.error) return NaN; // strace missing: reported as NaN
  const files = new Set<string>();
  for (const l of readFileSync(out, 'utf8').split('\n')) {
    if (l.includes('ENOENT')) continue;
    const m = /"([^"]+\.(?:js|mjs|cjs|json|node))"/.exec(l);
    if (m) files.add(m[1]);
  }
  return files.size;
}

export async function run(opts: { runs?: number } = {}): Promise<Figure[]> {
  const runs = opts.runs ?? 7;
  const bare: number[] = [];
  for (let i = 0; i < runs; i++) bare.push(await timed(['-e', '']));
  const b = median(bare);
  const figures: Figure[] = [];
  for (const c of COMMANDS) {
    const times: number[] = [];
    await timed([BIN, ...c]); // warm the page cache
    for (let i = 0; i < runs; i++) times.push(await timed([BIN, ...c]));
    const m = median(times);
    figures.push({ name: `paypoint ${c.slice(0, 3).join(' ')}: spawn to exit (median)`, value: m, unit: 'ms', baseline: { name: 'bare `node -e ""`', value: b }, target: '(reported)', ratio: m / b, met: true });
    figures.push({ name: `paypoint ${c.slice(0, 3).join(' ')}: module files opened`, value: modulesOpened([BIN, ...c]), unit: 'files', baseline: { name: 'bare `node -e ""`', value: modulesOpened(['-e', '']) }, target: '(reported)', ratio: null, met: true });
  }
  printFigures(`Command-line start-up, ${runs} runs each`, figures);
  return figures;
}
