/** `paypoint hw levels`: the technician sets hopper fill levels (README.md, "Cash hardware"), never under a running daemon. */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, tempDir } from '../helpers/daemon.js';
import { parseLevelArgs } from '../../src/cli/hw-levels.js';
import { lockDataDir } from '../../src/services/store/data-dir-lock.js';

const run = (dir: string, ...args: string[]) => spawnSync(process.execPath, [BIN, 'hw', 'levels', ...args, '--data-dir', dir], { encoding: 'utf8' });

t.test('set and print levels', async (t) => {
  const dir = tempDir();
  t.equal(run(dir).stdout, 'no hopper levels recorded yet\n');
  const r = run(dir, 'set', '1000=50', '500=80');
  t.equal(r.status, 0, r.stderr);
  t.same(JSON.parse(readFileSync(join(dir, 'hopper-levels.json'), 'utf8')), { 500: 80, 1000: 50 });
  t.equal(run(dir, 'set', '1000=10').status, 0);
  t.same(JSON.parse(readFileSync(join(dir, 'hopper-levels.json'), 'utf8')), { 500: 80, 1000: 10 }, 'other hoppers kept');
  t.equal(run(dir).stdout, '1000\t10\n500\t80\n');
});

t.test('bad input and a running daemon change nothing', async (t) => {
  const dir = tempDir();
  t.equal(run(dir, 'set', '1000=-1').status, 2);
  t.equal(run(dir, 'set').status, 2);
  t.type(parseLevelArgs(['0=5']), 'string');
  const release = lockDataDir(dir); // this process holds the data directory, as a running daemon would
  const r = run(dir, 'set', '1000=5');
  release();
  t.equal(r.status, 1);
  t.match(r.stderr, /error 404/);
  t.equal(run(dir).stdout, 'no hopper levels recorded yet\n');
});
