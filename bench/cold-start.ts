/**
 * Cold start: spawn to the first PayPoll answered with the page cache dropped before each start
 * (`sync; echo 3 > /proc/sys/vm/drop_caches`, root), as after a unit's power-up from an SD card, where
 * reading hundreds of module files is what the start waits for. Three starts, interleaved, each cold:
 *   - the daemon as shipped: bin/paypoint, which runs the one bundled file dist/paypoint.js;
 *   - the same daemon as tsc's tree of modules (dist/cli/main.js), what was shipped before the bundle;
 *   - baseline: a bare `node -e ""`, cold too (node's own binary and libraries are read again).
 * Reported, not a target: the point is how much of a cold start is ours, and what the bundle saves.
 * Where drop_caches is not permitted (a container without it), the figures are warm and say so.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, tempDir } from '../test/helpers/daemon.js';
import { BENCH_CONFIG, fmt, median, printFigures, type Figure } from './common.js';
import { bareNode, daemonStart } from './startup.js';

function dropCaches(): string | null {
  try {
    execFileSync('sync');
    writeFileSync('/proc/sys/vm/drop_caches', '3\n');
    return null;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
  }
}

export async function run(opts: { runs?: number } = {}): Promise<Figure[]> {
  const runs = opts.runs ?? 5;
  const configFile = join(tempDir('paypoint-bench-cfg-'), 'paypoint.toml');
  writeFileSync(configFile, BENCH_CONFIG);
  const tree = join(REPO, 'dist/cli/main.js');
  const bundled: number[] = [];
  const unbundled: number[] = [];
  const bare: number[] = [];
  let cold: string | null = null;
  for (let i = 0; i < runs; i++) {
    cold = dropCaches() ?? cold;
    bundled.push((await daemonStart(configFile)).soap);
    cold = dropCaches() ?? cold;
    unbundled.push((await daemonStart(configFile, tree)).soap);
    cold = dropCaches() ?? cold;
    bare.push(await bareNode());
  }
  const b = median(bundled);
  const u = median(unbundled);
  const n = median(bare);
  const how = cold === null ? 'page cache dropped before each start' : `WARM: drop_caches not permitted here (${cold})`;
  const figures: Figure[] = [
    { name: 'cold start to first PayPoll, bundled daemon (median)', value: b, unit: 'ms', baseline: { name: 'cold `node -e ""` (median)', value: n }, target: '(reported)', ratio: b / n, met: true },
    { name: 'cold start to first PayPoll, tsc module tree (median)', value: u, unit: 'ms', baseline: { name: 'bundled daemon, same run', value: b }, target: '(reported)', ratio: u / b, met: true },
  ];
  printFigures(
    `Cold start, ${runs} runs each, ${how} (bundled: ${bundled.map((x) => fmt(x, 0)).join(' ')} ms; tree: ${unbundled.map((x) => fmt(x, 0)).join(' ')} ms; node -e: ${bare.map((x) => fmt(x, 0)).join(' ')} ms)`,
    figures,
  );
  return figures;
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
