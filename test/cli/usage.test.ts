/**
 * The command line as a new user meets it: errors name what is wrong in a line or two (never the whole
 * usage), with the exit code of the table (2 usage, 1 refused); typos get a suggestion; the reports
 * command does not take a missing data directory for an empty outbox; usb-import by hand where systemd
 * is absent says so at once.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { BIN, tempDir } from '../helpers/daemon.js';

function cli(args: string[], lang = 'C') {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, LANG: lang, LC_ALL: '', LC_MESSAGES: '' } });
  return { status: r.status, out: r.stdout, err: r.stderr, ms: Date.now() - t0 };
}

t.test('sim coin without a value says which argument is missing, in two lines', async (t) => {
  const r = cli(['sim', 'coin']);
  t.equal(r.status, 2);
  t.equal(r.err, "error: missing required argument 'RUB'\n(see: paypoint sim coin --help)\n");
  const ru = cli(['sim', 'coin'], 'ru_RU.UTF-8');
  t.equal(ru.err, "ошибка: не указан обязательный аргумент 'RUB'\n(справка: paypoint sim coin --help)\n");
});

t.test('a typo gets a suggestion, not the usage', async (t) => {
  const r = cli(['reprots']);
  t.equal(r.status, 2);
  t.match(r.err, /unknown command 'reprots'\n\(Did you mean reports\?\)/);
  t.ok(r.err.split('\n').length <= 4, r.err);
  const o = cli(['reports', '--pendng']);
  t.equal(o.status, 2);
  t.match(o.err, /unknown option '--pendng'\n\(Did you mean --pending\?\)/);
});

t.test('reports --data-dir /nonexistent: no data directory, exit 1', async (t) => {
  const missing = `${tempDir('pp-usage-')}/nonexistent`;
  const r = cli(['reports', '--data-dir', missing]);
  t.equal(r.status, 1);
  t.equal(r.err, `no data directory ${missing} (give --data-dir or --config of the unit)\n`);
  t.notOk(existsSync(missing));
  const empty = cli(['reports', '--data-dir', tempDir('pp-usage-')]);
  t.equal(empty.status, 0, 'an existing empty directory is an empty outbox');
});

t.test('config check with two files or none: a usage error naming the problem', async (t) => {
  t.match(cli(['config', 'check']).err, /missing required argument 'FILE'/);
  t.match(cli(['config', 'check', 'a', 'b']).err, /too many arguments for 'check'/);
});

t.test('usb-import by hand without systemd: refused at once with the reason', { skip: existsSync('/run/systemd/system') && 'systemd runs here' }, async (t) => {
  const r = cli(['usb-import', tempDir('pp-stick-')]);
  t.equal(r.status, 1);
  t.match(r.err, /^systemd is not running here: usb-import applies a configuration by restarting paypoint\.service/);
  t.ok(r.ms < 10_000, `answered in ${r.ms} ms, not after the apply bound`);
  t.match(cli(['usb-import', tempDir('pp-stick-')], 'ru_RU.UTF-8').err, /^systemd здесь не запущен/);
});

t.test('usb-import prints its result in Russian (a refused file and an empty stick)', async (t) => {
  const { chmodSync, writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const sc = join(tempDir('pp-sysctl-'), 'systemctl');
  writeFileSync(sc, '#!/bin/sh\ncase "$1" in is-active) echo active ;; esac\nexit 0\n');
  chmodSync(sc, 0o755);
  const configPath = join(tempDir('pp-etc-'), 'paypoint.toml');
  const empty = cli(['usb-import', tempDir('pp-stick-'), '--config', configPath, '--systemctl', sc], 'ru_RU.UTF-8');
  t.equal(empty.status, 0, empty.err);
  t.match(empty.err, /^итог: ДЕЛАТЬ НЕЧЕГО\nна носителе нет ни paypoint\.toml, ни paypoint-export\.txt\n$/);
  const stick = tempDir('pp-stick-');
  writeFileSync(join(stick, 'paypoint.toml'), '[api]\nport = 0\n');
  const bad = cli(['usb-import', stick, '--config', configPath, '--systemctl', sc], 'ru_RU.UTF-8');
  t.equal(bad.status, 1);
  t.match(bad.err, /^итог: ОТКЛОНЕНО\npaypoint\.toml:2: api\.port: Слишком маленькое значение/);
});

t.test('--lang before the command chooses the language and the pointer names the command', async (t) => {
  const r = cli(['--lang', 'ru', 'sim', 'coin']);
  t.equal(r.status, 2);
  t.equal(r.err, "ошибка: не указан обязательный аргумент 'RUB'\n(справка: paypoint sim coin --help)\n");
});

t.test('language: ru_RU from LANG; with C.UTF-8 the configuration decides (status.language)', async (t) => {
  const { writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const dir = tempDir('pp-lang-');
  const ru = join(dir, 'ru.toml');
  const en = join(dir, 'en.toml');
  writeFileSync(ru, `[storage]\ndata_dir = "${dir}"\n`);
  writeFileSync(en, `[storage]\ndata_dir = "${dir}"\n[status]\nlanguage = "en"\n`);
  t.match(cli(['reports', '--config', ru], 'C.UTF-8').out, /^адрес сервиса: \(processing\.url не задан/);
  t.match(cli(['reports', '--config', en], 'C.UTF-8').out, /^endpoint: \(processing\.url not set/);
  t.match(cli(['reports', '--config', ru], 'en_GB.UTF-8').out, /^endpoint:/, 'LANG wins over the configuration');
  t.match(cli(['reports', '--config', en], 'ru_RU.UTF-8').out, /^адрес сервиса:/);
});
