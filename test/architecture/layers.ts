/**
 * The layering of src/ as data, and the check of every import against it (README.md, "Architecture").
 * A module may import its own layer and the layers below it, never above. Within services/, the
 * folders' imports of each other form no cycle. The pure layers (codecs, the payment domain, the money
 * modules of base/) import no I/O. `node --import tsx test/architecture/layers.ts` prints the diagram
 * that the README carries (a test checks that they agree).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** Bottom first. `paths` are prefixes relative to src/ (a folder ends with '/'). */
export const LAYERS: ReadonlyArray<{ name: string; paths: string[]; what: string }> = [
  { name: 'base', paths: ['errors.ts', 'base/'], what: 'the error type, money types, decimals, change-making, fsync helpers' },
  { name: 'transports', paths: ['transports/'], what: 'gpio (onoff), i2c (i2c-bus), serial (serialport), tcp' },
  { name: 'codecs', paths: ['codecs/'], what: 'bytes <-> messages (pure)' },
  { name: 'drivers', paths: ['drivers/'], what: 'device state machines and simulators' },
  { name: 'payment', paths: ['payment/'], what: 'session state machine, Pay checks (pure)' },
  { name: 'config', paths: ['config/'], what: 'the schema, TOML loading' },
  { name: 'services', paths: ['services/'], what: 'engine, store, SOAP, reports, appliance' },
  { name: 'wiring', paths: ['device-assembly.ts', 'main.ts'], what: 'the daemon put together' },
  { name: 'cli', paths: ['cli/'], what: 'the paypoint command' },
];

/** Files that must stay free of I/O (docs/design.md, "Layers"). */
export const PURE = ['codecs/', 'payment/', 'base/types.ts', 'base/decimal.ts', 'base/change.ts'];
const IO_MODULES = /^(node:)?(fs|fs\/promises|net|http|https|http2|tls|dgram|child_process|worker_threads|cluster)$|^(serialport|@serialport\/.*|onoff|i2c-bus|unix-dgram|node-libcurl|nedb-promises|soap)$/;

export interface Import {
  from: string;
  to: string;
  spec: string;
  line: number;
}

export function layerOf(rel: string): number {
  const i = LAYERS.findIndex((l) => l.paths.some((p) => (p.endsWith('/') ? rel.startsWith(p) : rel === p)));
  return i;
}

function walk(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

const IMPORT_RE = /(?:^|[\s;])(?:import|export)\s[^'";]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;(=])import\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm;

/** Every import of every .ts file under `srcDir`, paths relative to it (relative specifiers resolved). */
export function importsOf(srcDir: string): Import[] {
  const out: Import[] = [];
  for (const f of walk(srcDir)) {
    const text = readFileSync(f, 'utf8');
    const from = relative(srcDir, f).split(sep).join('/');
    for (const m of text.matchAll(IMPORT_RE)) {
      const spec = m[1] ?? m[2] ?? m[3];
      const line = text.slice(0, m.index + m[0].search(/\S/)).split('\n').length;
      const to = spec.startsWith('.') ? relative(srcDir, resolve(dirname(f), spec)).split(sep).join('/').replace(/\.js$/, '.ts') : spec;
      out.push({ from, to, spec, line });
    }
  }
  return out;
}

/** Folder of a services/ file (`services/store/x.ts` -> `store`); files directly in services/ count as their own name. */
function serviceUnit(rel: string): string | null {
  const m = /^services\/([^/]+)(\/|$)/.exec(rel);
  return m ? m[1].replace(/\.ts$/, '') : null;
}

/** Folder-level edges among services/, for the cycle check and the diagram. */
export function serviceEdges(imports: Import[]): Map<string, Set<string>> {
  const g = new Map<string, Set<string>>();
  for (const i of imports) {
    const a = serviceUnit(i.from);
    const b = serviceUnit(i.to);
    if (!a) continue;
    if (!g.has(a)) g.set(a, new Set());
    if (b && b !== a) g.get(a)!.add(b);
  }
  return g;
}

function findCycle(g: Map<string, Set<string>>): string[] | null {
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (n: string): string[] | null => {
    state.set(n, 1);
    stack.push(n);
    for (const m of [...(g.get(n) ?? [])].sort()) {
      if (state.get(m) === 1) return [...stack.slice(stack.indexOf(m)), m];
      if (!state.has(m)) {
        const c = visit(m);
        if (c) return c;
      }
    }
    stack.pop();
    state.set(n, 2);
    return null;
  };
  for (const n of [...g.keys()].sort()) {
    if (!state.has(n)) {
      const c = visit(n);
      if (c) return c;
    }
  }
  return null;
}

/** Every breach of the rules, one readable line each; empty when the code holds to them. */
export function violations(srcDir: string): string[] {
  const imports = importsOf(srcDir);
  const out: string[] = [];
  for (const f of walk(srcDir)) {
    const rel = relative(srcDir, f).split(sep).join('/');
    if (layerOf(rel) < 0) out.push(`src/${rel}: file is in no layer (add its folder to LAYERS in test/architecture/layers.ts)`);
  }
  for (const i of imports) {
    const where = `src/${i.from}:${i.line}`;
    const la = layerOf(i.from);
    if (la < 0) continue;
    if (i.spec.startsWith('.')) {
      const lb = layerOf(i.to);
      if (lb < 0) out.push(`${where}: imports ${i.spec}, outside every layer`);
      else if (lb > la) out.push(`${where}: ${LAYERS[la].name} imports ${i.spec} from ${LAYERS[lb].name}, a layer above it`);
    } else if (PURE.some((p) => (p.endsWith('/') ? i.from.startsWith(p) : i.from === p)) && IO_MODULES.test(i.spec)) {
      out.push(`${where}: a pure module imports ${i.spec} (I/O)`);
    }
  }
  const cycle = findCycle(serviceEdges(imports));
  if (cycle) out.push(`services/ folders import each other in a cycle: ${cycle.join(' -> ')}`);
  return [...new Set(out)];
}

/** The README's architecture diagram, from LAYERS and the folders and imports that exist. */
export function diagram(srcDir: string): string {
  const entries = (rel: string): string => {
    if (!rel.endsWith('/')) return `src/${rel}`;
    const names = readdirSync(join(srcDir, rel))
      .map((n) => (statSync(join(srcDir, rel, n)).isDirectory() ? `${n}/` : n))
      .sort();
    return `src/${rel} ${names.join(' ')}`;
  };
  const lines = ['layer        may import its own layer and those below it', ''];
  for (const l of [...LAYERS].reverse()) {
    lines.push(`${l.name.padEnd(12)} ${l.paths.map(entries).join(', ')}`);
    lines.push(`${''.padEnd(12)} (${l.what})`);
  }
  lines.push('', 'services/, folder by folder (no cycle):');
  const g = serviceEdges(importsOf(srcDir));
  for (const [a, bs] of [...g.entries()].sort(([x], [y]) => x.localeCompare(y))) {
    lines.push(`  ${a.padEnd(12)} -> ${bs.size ? [...bs].sort().join(', ') : '(no other service)'}`);
  }
  return lines.join('\n') + '\n';
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const src = resolve(dirname(new URL(import.meta.url).pathname), '../../src');
  process.stdout.write(diagram(src));
}
