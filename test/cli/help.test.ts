/**
 * `--help` of every command prints its help and does nothing else: the command tree is discovered from
 * the help itself (so a new command is covered), each leaf is asked for --help in English and Russian,
 * and none may start a daemon, create its data directory, open its port or read a file named --help.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { BIN, freePort, tempDir } from '../helpers/daemon.js';

const cwd = tempDir('pp-help-cwd-');

function help(path: string[], extra: string[] = [], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [BIN, ...path, ...extra, '--help'], { encoding: 'utf8', cwd, timeout: 15_000, env: { ...process.env, LANG: 'C', LC_ALL: '', LC_MESSAGES: '', ...env } });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Subcommand names listed under "Commands:" (without the built-in `help`). */
function subcommands(text: string): string[] {
  const i = text.indexOf('Commands:');
  if (i < 0) return [];
  const block = text.slice(i).split('\n\n')[0].split('\n').slice(1);
  return block.map((l) => /^ {2}(\S+)/.exec(l)?.[1]).filter((n): n is string => !!n && n !== 'help');
}

function leaves(path: string[]): string[][] {
  const subs = subcommands(help(path).stdout);
  return subs.length === 0 ? [path] : subs.flatMap((s) => leaves([...path, s]));
}

const port = await freePort();
const dataDir = join(tempDir('pp-help-'), 'data');
// Flags that would make an acting command do something visible: a data directory to create, a port to open.
const acting: Record<string, string[]> = {
  serve: ['--data-dir', dataDir, '--port', String(port), '--status-port', String(port)],
  'config check': ['--help-is-not-a-file'],
  'usb-import': [cwd],
  'try pay': ['10', '--url', `http://127.0.0.1:${port}/`],
  'try register': ['--url', `http://127.0.0.1:${port}/`],
  'sim coin': ['10', '--data-dir', dataDir],
  'hw levels': ['set', '1000=5', '--data-dir', dataDir],
};

const all = leaves([]);
t.ok(all.length >= 15, `every leaf command found (${all.map((p) => p.join(' ')).join(', ')})`);
t.ok(all.some((p) => p.join(' ') === 'try pay') && all.some((p) => p.join(' ') === 'serve'), 'the tree has serve and try pay');

for (const path of all) {
  const name = path.join(' ');
  t.test(`paypoint ${name} --help`, async (t) => {
    // The port is held by us: a command that tried to listen would fail with EADDRINUSE (exit != 0), one
    // that tried to call it would hang until the spawn timeout.
    const held = createServer(() => t.fail(`${name} --help connected to the port`));
    await new Promise<void>((r) => held.listen(port, '127.0.0.1', r));
    try {
      for (const [lang, usage, exits] of [['C', 'Usage:', 'Exit codes:'], ['ru_RU.UTF-8', 'Вызов:', 'Коды выхода:']]) {
        const r = help(path, acting[name] ?? [], { LANG: lang });
        t.equal(r.status, 0, `${lang}: exit 0 (stderr: ${r.stderr.trim()})`);
        t.equal(r.signal, null, `${lang}: not killed by the timeout`);
        t.match(r.stdout, new RegExp(`^${usage} paypoint ${name}`), `${lang}: its own usage line`);
        t.match(r.stdout, exits, `${lang}: an exit code table`);
        t.equal(r.stderr, '', `${lang}: nothing on stderr`);
      }
      t.notOk(existsSync(dataDir), 'no data directory was created');
      t.same(readdirSync(cwd), [], 'nothing was written in the working directory');
    } finally {
      await new Promise((r) => held.close(r));
    }
  });
}
