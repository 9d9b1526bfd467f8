/** `paypoint config check FILE`: exit 0, or 1 with every error as FILE:LINE: field: reason (docs/design.md). */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, tempDir } from '../helpers/daemon.js';

const dir = tempDir('pp-cli-');
function check(content: string): { status: number | null; stdout: string } {
  const f = join(dir, `c${Math.random().toString(36).slice(2)}.toml`);
  writeFileSync(f, content);
  const r = spawnSync(process.execPath, [BIN, 'config', 'check', f], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout.replaceAll(f, 'FILE') };
}

t.test('a good file: exit 0', async (t) => {
  const r = check('[pos]\ntitle = "Касса"\n');
  t.equal(r.status, 0);
  t.match(r.stdout, /ok/);
});

t.test('a bad file: exit 1 and one line per error', async (t) => {
  const r = check('[api]\nport = 0\n[pos]\nsession_timeout_s = 5\n');
  t.equal(r.status, 1);
  t.same(r.stdout.trim().split('\n').map((l) => l.split(': ')[0] + ': ' + l.split(': ')[1]), ['FILE:2: api.port', 'FILE:4: pos.session_timeout_s']);
});

t.test('usage errors exit 2', async (t) => {
  const r = spawnSync(process.execPath, [BIN, 'config', 'check'], { encoding: 'utf8' });
  t.equal(r.status, 2);
  const u = spawnSync(process.execPath, [BIN, 'frobnicate'], { encoding: 'utf8' });
  t.equal(u.status, 2);
});

t.test('config doc prints every field with its default', async (t) => {
  const r = spawnSync(process.execPath, [BIN, 'config', 'doc'], { encoding: 'utf8' });
  t.equal(r.status, 0);
  t.match(r.stdout, /\| `pos\.terminal_id` \| `"SIM-0001"` \|/);
  t.match(r.stdout, /\| `api\.port` \| `8080` \|/);
  t.notMatch(r.stdout, /\| `[^`]+` \| `[^`]*` \|\s*\|/, 'no field without a description');
});
