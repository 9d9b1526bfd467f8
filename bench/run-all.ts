/**
 * `make bench`: runs every benchmark (bench/README.md) one after the other (never in parallel: they would
 * measure each other) against the compiled daemon (dist/, built by `make build`), and prints each figure
 * beside the baseline measured in the same run and the ratio to its target. Targets are reported, never
 * asserted. BENCH=a,b runs a subset (names: paypoll, pay, rss, startup, cold, reports, pulse, cli, soak).
 */
import { cpus, loadavg } from 'node:os';
import type { Figure } from './common.js';
import { fmt } from './common.js';
import { run as payLatency } from './pay-latency.js';
import { run as pulseAccuracy } from './pulse-accuracy.js';
import { run as reportsDrain } from './reports-drain.js';
import { run as paypoll } from './paypoll-throughput.js';
import { run as rss } from './rss.js';
import { run as startup } from './startup.js';
import { run as coldStart } from './cold-start.js';
import { run as cliStart } from './cli-start.js';

const all: Array<[string, () => Promise<Figure[]>]> = [
  ['paypoll', async () => (await paypoll()).figures],
  ['pay', () => payLatency()],
  ['rss', () => rss()],
  ['startup', () => startup()],
  ['cold', () => coldStart()],
  ['reports', () => reportsDrain()],
  ['pulse', () => pulseAccuracy()],
  ['cli', () => cliStart()],
  // Not in the default run (several minutes): BENCH=soak, or make bench-soak.
  ['soak', () => rss({ soak: true })],
];
const OPTIONAL = new Set(['soak']);

const only = process.env.BENCH?.split(',').map((s) => s.trim());
process.stdout.write(`PayPoint benchmarks: node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load average ${loadavg().map((l) => fmt(l)).join(' ')} at start\n`);
const summary: Figure[] = [];
for (const [name, fn] of all) {
  if (only ? !only.includes(name) : OPTIONAL.has(name)) continue;
  try {
    summary.push(...(await fn()));
  } catch (e) {
    process.stdout.write(`\n== ${name}: FAILED to run: ${(e as Error).message}\n`);
    process.exitCode = 1;
  }
}
process.stdout.write(`\n== Summary (load average ${loadavg().map((l) => fmt(l)).join(' ')} at end)\n`);
for (const f of summary.filter((x) => x.target !== '(reported)')) {
  process.stdout.write(`  ${f.met ? 'MET    ' : 'NOT MET'}  ${f.name}: ${fmt(f.value)} ${f.unit}${f.baseline ? ` vs ${fmt(f.baseline.value)} ${f.unit}` : ''}${f.ratio !== null ? ` (ratio ${fmt(f.ratio)})` : ''}; target ${f.target}\n`);
}
