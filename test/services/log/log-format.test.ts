/**
 * Logs: JSON lines when stdout is not a terminal (journald, pipes), readable lines with the same fields
 * when a person runs the daemon in a terminal; the password stays hidden in both.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { createLogger, readableLine } from '../../../src/services/log.js';
import { BIN, freePort, tempDir } from '../../helpers/daemon.js';
import { lastAnswer, waitFor } from '../../helpers/wait.js';

t.test('readableLine keeps every field of the JSON line', async (t) => {
  const lines: string[] = [];
  const sink = new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) });
  const log = createLogger('info', sink as unknown as Parameters<typeof createLogger>[1]);
  log.info({ port: 8080, dataDir: '/var/lib/paypoint', note: 'two words', login: { password: 'secret' } }, 'ready');
  const json = JSON.parse(lines[0]) as Record<string, unknown>;
  t.match(json, { level: 'info', msg: 'ready', port: 8080, dataDir: '/var/lib/paypoint' });
  const r = readableLine(lines[0].trim());
  t.match(r, /^\d\d:\d\d:\d\d\.\d{3} INFO {2}ready port=8080 dataDir=\/var\/lib\/paypoint note="two words" login=\{"password":"\[hidden\]"\}$/);
  t.notMatch(r, /secret/);
  t.equal(readableLine('not json'), 'not json');
});

t.test('the daemon writes readable lines on a TTY and JSON lines into a pipe', async (t) => {
  const run = async (tty: boolean): Promise<string> => {
    const args = ['serve', '--data-dir', tempDir('pp-log-'), '--port', String(await freePort()), '--status-port', String(await freePort())];
    // script(1) gives the daemon a pseudo-terminal as stdout, as when a person runs it by hand.
    const cmd = tty ? ['script', '-qfec', [process.execPath, BIN, ...args].join(' '), '/dev/null'] : [process.execPath, BIN, ...args];
    const c = spawn(cmd[0], cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    await waitFor('the ready line', () => /ready/.test(out)).catch(lastAnswer);
    c.kill('SIGTERM');
    await new Promise((r) => c.on('exit', r));
    return out;
  };
  const pipe = await run(false);
  t.match(pipe, /^\{"level":"info","time":"[^"]+","svc":"paypoint".*"msg":"ready"/m, 'JSON line into a pipe');
  const tty = await run(true);
  t.match(tty, /^\d\d:\d\d:\d\d\.\d{3} INFO {2}ready /m, 'readable line on a terminal');
  t.notMatch(tty, /"msg":"ready"/);
});
