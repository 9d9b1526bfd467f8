/** Configuration loading (contract 4): Notepad-friendly input, every error as FILE:LINE: field: reason. */
import t from 'tap';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode } from '../../src/errors.js';
import { ConfigError, formatProblem, loadConfigFile, parseConfigText, MAX_CONFIG_BYTES } from '../../src/config/load.js';
import { defaultConfig } from '../../src/config/schema.js';

const dir = mkdtempSync(join(tmpdir(), 'pp-cfg-'));
function file(name: string, content: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}
function problems(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

t.test('the built-in default is what the issue names', async (t) => {
  const c = defaultConfig();
  t.equal(c.api.port, 8080);
  t.equal(c.api.require_auth, false);
  t.equal(c.pos.terminal_id, 'SIM-0001');
  t.equal(c.devices.card, 'sim', 'simulated devices');
  t.equal(c.pos.session_timeout_s, 120, 'contract 2.4 default');
  t.equal(c.pos.enabled, true);
});

t.test('Notepad: BOM, CRLF, comments, Cyrillic title', async (t) => {
  const text = '\uFEFF# настройки кассы\r\n[pos]\r\ntitle = "Касса №2" # комментарий\r\nterminal_id = "K-2"\r\n[api]\r\nport = 8081\r\n';
  const c = loadConfigFile(file('notepad.toml', Buffer.from(text, 'utf8')));
  t.equal(c.pos.title, 'Касса №2');
  t.equal(c.pos.terminal_id, 'K-2');
  t.equal(c.api.port, 8081);
  t.equal(c.processing.path, '/pos/ws/pos.1cws', 'unset fields keep their defaults');
});

t.test('every error names file, line and field; all errors at once', async (t) => {
  const text = ['[pos]', 'terminal_id = ""', 'max_amount = -5', '', '[api]', 'port = 70000', 'prot = 1', '[processing]', 'url = "https://srv/path?x=1"'].join('\n');
  const e = problems(() => parseConfigText(text, 'stick.toml'));
  t.equal(e.code, ErrorCode.ConfigInvalid);
  const lines = e.problems.map((p) => [p.line, p.field]);
  t.same(lines, [
    [2, 'pos.terminal_id'],
    [3, 'pos.max_amount'],
    [6, 'api.port'],
    [7, 'api.prot'],
    [9, 'processing.url'],
  ]);
  t.match(formatProblem(e.problems[0]), /^stick\.toml:2: pos\.terminal_id: /);
});

t.test('cross-field rules point at a line too', async (t) => {
  const e = problems(() => parseConfigText('[api]\nrequire_auth = true\nlogin = ""\n', 'a.toml'));
  t.equal(e.problems[0].field, 'api.login');
  t.equal(e.problems[0].line, 3);
  const h = problems(() => parseConfigText('[devices.sim]\nhopper_coins = [1000, 500]\nhopper_fill = [1]\n', 'h.toml'));
  t.same([h.problems[0].line, h.problems[0].field], [3, 'devices.sim.hopper_fill']);
});

t.test('syntax errors, encoding, size, missing file', async (t) => {
  const s = problems(() => parseConfigText('[pos]\ntitle = \n', 's.toml'));
  t.equal(s.code, ErrorCode.ConfigSyntax);
  t.equal(s.problems[0].line, 2);
  const enc = problems(() => loadConfigFile(file('cp1251.toml', Buffer.from([0x5b, 0x70, 0x6f, 0x73, 0x5d, 0x0a, 0x74, 0x69, 0x74, 0x6c, 0x65, 0x3d, 0x22, 0xca, 0xe0, 0x22, 0x0a]))));
  t.equal(enc.code, ErrorCode.ConfigEncoding, 'a Windows-1251 file is refused with a clear reason, not misread');
  const big = problems(() => loadConfigFile(file('big.toml', '#'.repeat(MAX_CONFIG_BYTES + 1))));
  t.equal(big.code, ErrorCode.ConfigTooLarge);
  const missing = problems(() => loadConfigFile(join(dir, 'nope.toml')));
  t.equal(missing.code, ErrorCode.ConfigUnreadable);
});

t.test('hostile values are refused, not coerced', async (t) => {
  for (const [text, field] of [
    ['[api]\nport = "8080"', 'api.port'],
    ['[api]\nport = 80.5', 'api.port'],
    ['[pos]\nenabled = "yes"', 'pos.enabled'],
    ['[pos]\nterminal_id = "a b"', 'pos.terminal_id'],
    ['__proto__ = 1', '__proto__'],
    ['[devices]\ncard = "real"', 'devices.card'],
  ] as const) {
    const e = problems(() => parseConfigText(text, 'x.toml'));
    t.equal(e.problems[0].field, field, text);
  }
});
