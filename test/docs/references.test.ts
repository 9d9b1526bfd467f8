/**
 * Every document the code, tests, units and README point to is in the repository and can be followed:
 * no reference to notes kept outside it (facts.md, DEVELOPERS.md) or to an issue number of the project's
 * tracker; and every `docs/….md, "Section"` or `README.md, "Section"` names a file and a heading that
 * exist (docs/design.md, "How the code is written").
 */
import t from 'tap';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO } from '../helpers/daemon.js';

const ROOTS = ['src', 'test', 'bench', 'bin', 'board', 'systemd', 'docs', '.ci', 'tools', 'yocto-layer', 'README.md', 'Makefile'];
/** The image's install step, changed together with the image recipe (yocto-layer/). */
const NOT_CHECKED = new Set(['test/image/install-app.sh', 'test/docs/references.test.ts']);

function files(): string[] {
  const out: string[] = [];
  const walk = (p: string): void => {
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const e of readdirSync(p)) walk(join(p, e));
    } else if (st.size < 1_000_000) out.push(relative(REPO, p));
  };
  for (const r of ROOTS) if (existsSync(join(REPO, r))) walk(join(REPO, r));
  return out.filter((f) => !NOT_CHECKED.has(f) && !/\.(png|jpg|pdf|dtbo|db)$/.test(f) && !f.startsWith('docs/1c/'));
}

/** Offending references in one text, as `LINE: excerpt`. */
export function outsideReferences(text: string): string[] {
  const out: string[] = [];
  const re = /facts\.md|DEVELOPERS\.md|\bissues? #?\d+/gi;
  for (const m of text.matchAll(re)) {
    const before = text.slice(Math.max(0, m.index - 60), m.index);
    // An upstream project's tracker named with its address can be followed.
    if (/github\.com\/[\w.-]+\/[\w.-]+[^\n]*$/.test(before)) continue;
    const line = text.slice(0, m.index).split('\n').length;
    out.push(`${line}: ${text.slice(Math.max(0, m.index - 30), m.index + 30).replace(/\s+/g, ' ')}`);
  }
  return out;
}

function headings(file: string): string[] {
  return readFileSync(join(REPO, file), 'utf8')
    .split('\n')
    .filter((l) => /^#+ /.test(l))
    .map((l) => l.replace(/^#+ /, ''));
}

t.test('no reference to notes outside the repository or to an issue number', async (t) => {
  const found: string[] = [];
  for (const f of files()) for (const r of outsideReferences(readFileSync(join(REPO, f), 'utf8'))) found.push(`${f}:${r}`);
  t.same(found, []);
});

t.test('the check catches each kind of reference', async (t) => {
  t.equal(outsideReferences('see facts.md, "SOAP"').length, 1);
  t.equal(outsideReferences('(DEVELOPERS.md practice 3)').length, 1);
  t.equal(outsideReferences('// Issue 5, the hard case').length, 1);
  t.equal(outsideReferences('(issues 199, 200)').length, 1);
  t.equal(outsideReferences('upstream: github.com/fivdi/onoff issues 199, 200').length, 0, 'an upstream tracker with its address is fine');
});

t.test('every "docs/….md" or "README.md" reference names a file and a heading that exist', async (t) => {
  const bad: string[] = [];
  const re = /(?<![\w/.-])((?:docs\/[\w/.-]+|(?:[\w.-]+\/)*README)\.md)(?:, "([^"]+)")?/g;
  for (const f of files()) {
    const text = readFileSync(join(REPO, f), 'utf8');
    for (const m of text.matchAll(re)) {
      const target = m[1];
      if (!existsSync(join(REPO, target))) {
        bad.push(`${f}: ${target} does not exist`);
        continue;
      }
      const section = m[2]?.replace(/\s+/g, ' ');
      if (section && !headings(target).some((h) => h.includes(section))) bad.push(`${f}: ${target} has no heading "${section}"`);
    }
  }
  t.same(bad, []);
});
