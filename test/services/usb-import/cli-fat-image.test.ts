/**
 * `paypoint usb-import DEVICE` end to end on a FAT image (docs/appliance.md, "USB stick": a stick image mounted
 * with fusefat, as this kernel has no vfat): mounted read-only, validated, installed, applied through
 * systemctl (a stand-in script here, as PID 1 is not systemd on this machine), unmounted, and the
 * result written back onto the image, read back with mtools.
 */
import t from 'tap';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256Hex } from '../../../src/services/usb-import/admin-secret.js';
import { BIN, tempDir } from '../../helpers/daemon.js';

const have = (cmd: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const tools = ['fusefat', 'fusermount', 'mkfs.vfat', 'mcopy', 'mtype'].filter((c) => !have(c));
if (tools.length || !existsSync('/dev/fuse')) {
  t.fail(`missing: ${tools.join(' ')} /dev/fuse: ${existsSync('/dev/fuse')} (make deps installs fusefat mtools dosfstools)`);
}

function fatImage(files: Record<string, string>): string {
  const img = join(tempDir('paypoint-img-'), 'stick.img');
  execFileSync('mkfs.vfat', ['-C', img, '4096'], { stdio: 'ignore' });
  for (const [name, text] of Object.entries(files)) {
    const src = join(tempDir('paypoint-src-'), name);
    writeFileSync(src, text);
    execFileSync('mcopy', ['-i', img, src, `::${name}`]);
  }
  return img;
}

const readFromImage = (img: string, name: string) => execFileSync('mtype', ['-i', img, `::${name}`], { encoding: 'utf8' });

function fakeSystemctl(): { path: string; log: string } {
  const dir = tempDir('paypoint-sysctl-');
  const log = join(dir, 'calls.log');
  const path = join(dir, 'systemctl');
  writeFileSync(path, `#!/bin/sh\necho "$*" >> ${log}\ncase "$1" in is-active) echo active ;; esac\nexit 0\n`);
  chmodSync(path, 0o755);
  return { path, log };
}

function runCli(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [BIN, 'usb-import', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (out += d));
    c.on('exit', (code) => resolve({ code, out }));
  });
}

t.test('a good file from a FAT image is applied and the result written back to the image', async (t) => {
  const dataDir = tempDir();
  const configPath = join(tempDir('paypoint-etc-'), 'paypoint.toml');
  writeFileSync(configPath, `[storage]\ndata_dir = "${dataDir}"\n`);
  const text = `[pos]\nterminal_id = "FAT-1"\n[storage]\ndata_dir = "${dataDir}"\n[status]\nenabled = false\n[unit]\nadmin_secret_sha256 = "${sha256Hex('s3cret')}"\napply_timeout_s = 10\n`;
  const img = fatImage({ 'paypoint.toml': text });
  const sc = fakeSystemctl();
  const runDir = tempDir('paypoint-run-');
  const r = await runCli([img, '--config', configPath, '--systemctl', sc.path, '--run-dir', runDir]);
  t.equal(r.code, 0, r.out);
  t.equal(readFileSync(configPath, 'utf8'), text, 'installed');
  t.match(readFromImage(img, 'paypoint-result.txt'), /result: APPLIED/);
  t.match(readFileSync(sc.log, 'utf8'), /^restart --no-block paypoint\.service$/m, 'the daemon was restarted through systemctl');
  t.same(readdirSync(runDir), [], 'unmounted and the mount point removed');
});

t.test('a bad file on a FAT image: refused, problems with lines on the image, nothing restarted', async (t) => {
  const dataDir = tempDir();
  const configPath = join(tempDir('paypoint-etc-'), 'paypoint.toml');
  const before = `[storage]\ndata_dir = "${dataDir}"\n`;
  writeFileSync(configPath, before);
  const img = fatImage({ 'paypoint.toml': `[api]\nport = 99999\n` });
  const sc = fakeSystemctl();
  const r = await runCli([img, '--config', configPath, '--systemctl', sc.path, '--run-dir', tempDir('paypoint-run-')]);
  t.equal(r.code, 1);
  const result = readFromImage(img, 'paypoint-result.txt');
  t.match(result, /result: REFUSED/);
  t.match(result, /^paypoint\.toml:2: api\.port: /m);
  t.equal(readFileSync(configPath, 'utf8'), before);
  t.notOk(existsSync(sc.log), 'systemctl never called');
});
