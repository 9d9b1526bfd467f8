// shellcheck on every shell script of the repository (yocto-layer/README.md): files ending in .sh/.bash and
// files whose first line is a sh/bash/dash shebang, outside node_modules and build output.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const project = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const SKIP_DIRS = new Set(['node_modules', 'dist', '.git', '.tap', 'test-artifacts', 'out']);
const version = spawnSync('shellcheck', ['--version'], { encoding: 'utf8' });
const noShellcheck = version.error ? 'shellcheck is not installed (Debian package shellcheck, in the Makefile APT_PACKAGES)' : false;

function isShellScript(path: string): boolean {
  if (/\.(sh|bash)$/.test(path)) return true;
  const head = readFileSync(path).subarray(0, 120).toString('utf8').split('\n')[0] ?? '';
  return /^#!\s*(\/usr)?\/bin\/(env\s+)?(ba|da)?sh\b/.test(head);
}

function scripts(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name)) out.push(...scripts(join(dir, e.name)));
    } else if (e.isFile() && isShellScript(join(dir, e.name))) out.push(join(dir, e.name));
  }
  return out.sort();
}

function shellcheck(file: string): { status: number | null; out: string } {
  const r = spawnSync('shellcheck', ['--external-sources', '--format=gcc', file], { encoding: 'utf8', cwd: project });
  return { status: r.status, out: r.stdout + r.stderr };
}

t.test('every shell script passes shellcheck', { skip: noShellcheck }, async (t) => {
  const found = scripts(project);
  t.ok(found.some((f) => relative(project, f) === '.ci/run'), 'the CI entry script is among the scripts found');
  for (const f of found) {
    const r = shellcheck(f);
    t.equal(r.status, 0, relative(project, f), { diagnostics: r.out });
  }
});

t.test('shellcheck fails on a script with a real bug (the check above can fail)', { skip: noShellcheck }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'paypoint-shellcheck-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const bad = join(dir, 'bad.sh');
  writeFileSync(bad, '#!/bin/bash\nfor f in $(ls $1); do rm $f; done\n');
  t.ok(isShellScript(bad));
  const r = shellcheck(bad);
  t.not(r.status, 0);
  t.match(r.out, /SC2045|SC2086/);
});
