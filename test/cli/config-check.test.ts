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

t.test('Russian (LANG=ru_RU.UTF-8): every reason is in Russian, file, line and field unchanged', async (t) => {
  const files: Record<string, string> = {
    'many.toml':
      '[api]\nport = 0\nfoo = 1\nrequire_auth = true\n[pos]\nsession_timeout_s = "x"\n[processing]\nurl = "https://a/b"\npath = "x"\nnamespace = "a b"\nservice = "1x"\nuse_auth = true\n[status]\nlanguage = "de"\nlogin = "a:b"\n[storage]\ndata_dir = "rel"\n[unit]\nadmin_secret_sha256 = "xyz"\n[devices.sim]\nhopper_fill = [1]\n',
    'syntax.toml': '[api\n',
  };
  for (const [name, text] of Object.entries(files)) {
    const f = join(dir, name);
    writeFileSync(f, text);
    const r = spawnSync(process.execPath, [BIN, 'config', 'check', f], { encoding: 'utf8', env: { ...process.env, LANG: 'ru_RU.UTF-8', LC_ALL: '', LC_MESSAGES: '' } });
    t.equal(r.status, 1);
    const lines = r.stdout.trim().split('\n');
    t.ok(lines.length >= (name === 'many.toml' ? 12 : 1), `${name}: ${lines.length} problems`);
    for (const l of lines) {
      t.match(l, new RegExp(`^${f.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+: \\S+: `), `file:line: field: ${l}`);
      const reason = l.slice(f.length).replace(/^:\d+: \S+: /, '');
      // Names, values and the TOML parser's quoted wording may stay Latin; the words around them may not.
      t.match(reason.replace(/"[^"]*"|«[^»]*»|\S+\.\S+|\b(number|string|require_auth|use_auth|login|password|hopper_coins|TOML|UTF-8|URI|sha256|LED|class|http\(s\)|https)\b/g, ''), /^[^a-zA-Z]*([а-яА-ЯёЁ][^a-zA-Z]*)+$/, `Russian: ${l}`);
    }
  }
  const missing = spawnSync(process.execPath, [BIN, 'config', 'check', join(dir, 'absent.toml')], { encoding: 'utf8', env: { ...process.env, LANG: 'ru_RU.UTF-8' } });
  t.match(missing.stdout + missing.stderr, /не удаётся прочитать файл: ENOENT/);
});
