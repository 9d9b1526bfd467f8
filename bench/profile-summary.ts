/**
 * Where a daemon's time went: self time of a V8 .cpuprofile (BENCH_PROFILE=DIR make bench, or
 * node --cpu-prof) summed by function and by package/file, top entries first.
 * Usage: node --import tsx bench/profile-summary.ts FILE.cpuprofile [N]
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
const [file, nArg] = process.argv.slice(2);
const prof = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
prof.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));
const total = [...self.values()].reduce((a, b) => a + b, 0);
const where = (url: string): string => {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1];
  if (url.startsWith('node:')) return url;
  const s = /\/(src|dist)\/(.*)$/.exec(url);
  return s ? s[2] : url || '(native/VM)';
};
const fn = new Map<string, number>();
const pkg = new Map<string, number>();
for (const [id, us] of self) {
  const n = byId.get(id)!;
  const f = `${n.callFrame.functionName || '(anonymous)'} ${where(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
  fn.set(f, (fn.get(f) ?? 0) + us);
  const p = n.callFrame.url ? where(n.callFrame.url) : n.callFrame.functionName;
  pkg.set(p, (pkg.get(p) ?? 0) + us);
}
const top = (m: Map<string, number>, k: number): string =>
  [...m.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, k)
    .map(([name, us]) => `  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${name}`)
    .join('\n');
const n = Number(nArg ?? 25);
process.stdout.write(`${file}: ${(total / 1000).toFixed(0)} ms sampled\nby function (self time):\n${top(fn, n)}\nby file or package (self time):\n${top(pkg, n)}\n`);
