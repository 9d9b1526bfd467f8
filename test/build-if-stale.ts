/**
 * Run by tap before any test file (package.json "tap.before"): integration tests boot the compiled
 * daemon (bin/paypoint, dist/), so a tap run after an edit must never test yesterday's dist/ silently.
 * When any input of `make build` is newer than dist/.build-stamp (written last by make build), this
 * builds first and says so; a failed build fails the run.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function newest(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let m = st.mtimeMs;
  for (const e of readdirSync(path)) m = Math.max(m, newest(join(path, e)));
  return m;
}

export function staleReason(): string | null {
  let stamp: number;
  try {
    stamp = statSync(join(root, 'dist/.build-stamp')).mtimeMs;
  } catch {
    return 'dist/ was never built';
  }
  for (const input of ['src', 'bin', 'tsconfig.json', 'package-lock.json', 'Makefile']) {
    if (newest(join(root, input)) > stamp) return `${input} changed since the last build`;
  }
  return null;
}

const reason = staleReason();
if (reason !== null) {
  process.stderr.write(`# dist/ is stale (${reason}): make build\n`);
  // tap's process tracking puts its own loader into NODE_OPTIONS of every child; tsc and esbuild must
  // run as make runs them, so the shell drops it before make starts.
  const r = spawnSync('/bin/sh', ['-c', 'unset NODE_OPTIONS; exec make --no-print-directory build'], { cwd: root, stdio: ['ignore', 2, 2] });
  if (r.status !== 0) {
    process.stderr.write('# make build failed: no test runs against a stale daemon\n');
    process.exit(1);
  }
}
