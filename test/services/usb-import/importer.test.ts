/**
 * The USB-stick import (docs/appliance.md) on a stick directory, against the real daemon started
 * in-process from the installed file (the applier below does what `systemctl restart` does: stop,
 * then start from the file on disk). Good file, bad file with line numbers in the result file,
 * oversized, symlink, missing and wrong secret, rollback after an unhealthy start, export.
 */
import t from 'tap';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { loadConfigFile } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/schema.js';
import { startDaemon, type Daemon } from '../../../src/main.js';
import { silentLogger } from '../../../src/services/log.js';
import { sha256Hex } from '../../../src/services/usb-import/admin-secret.js';
import { runImport, type Applier, type ImportOutcome } from '../../../src/services/usb-import/importer.js';
import { readImportMarker } from '../../../src/services/usb-import/result-marker.js';
import { freePort, tempDir } from '../../helpers/daemon.js';

const SECRET = 'correct horse battery staple';
const HASH = sha256Hex(SECRET);

/** Restarts the daemon from the installed file, as systemd would. */
class InProcessApplier implements Applier {
  daemon: Daemon | null = null;
  starts = 0;
  constructor(private readonly configPath: string) {}
  async apply(): Promise<void> {
    await this.daemon?.stop();
    this.daemon = null;
    this.starts++;
    try {
      this.daemon = await startDaemon(loadConfigFile(this.configPath), { log: silentLogger() });
    } catch {
      this.daemon = null; // a failed start: the unit would be in "failed"/restarting
    }
  }
  async waitHealthy(): Promise<boolean> {
    return this.daemon !== null && this.daemon.appliance !== null && this.daemon.appliance.health().ok;
  }
}

interface Unit {
  configPath: string;
  dataDir: string;
  applier: InProcessApplier;
  base: string;
}

async function newUnit(t: { teardown(fn: () => unknown): void }): Promise<Unit> {
  const dataDir = tempDir();
  const configPath = join(tempDir('paypoint-etc-'), 'paypoint.toml');
  const base = `[storage]\ndata_dir = "${dataDir}"\n[led]\nsysfs_root = "${tempDir('paypoint-noleds-')}"\n`;
  const initial = `${base}[api]\nport = ${await freePort()}\nbind = "127.0.0.1"\n[status]\nport = ${await freePort()}\nbind = "127.0.0.1"\n`;
  writeFileSync(configPath, initial);
  const applier = new InProcessApplier(configPath);
  await applier.apply();
  t.teardown(() => applier.daemon?.stop());
  return { configPath, dataDir, applier, base };
}

function stick(files: Record<string, string | Buffer>): string {
  const dir = tempDir('paypoint-stick-');
  for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), data);
  return dir;
}

async function importFrom(u: Unit, dir: string): Promise<ImportOutcome & { result: string }> {
  const r = await runImport({
    stickDir: dir,
    configPath: u.configPath,
    applier: u.applier,
    log: silentLogger(),
    writeToStick: async (name, data) => writeFileSync(join(dir, name), data),
    clockSynchronized: null,
  });
  return { ...r, result: readFileSync(join(dir, 'paypoint-result.txt'), 'utf8') };
}

async function goodFile(u: Unit, terminal: string, extra = ''): Promise<string> {
  return `${u.base}[pos]\nterminal_id = "${terminal}"\n[unit]\nadmin_secret_sha256 = "${HASH}"\napply_timeout_s = 10\n[api]\nport = ${await freePort()}\nbind = "127.0.0.1"\n[status]\nport = ${await freePort()}\nbind = "127.0.0.1"\n${extra}`;
}

t.test('a new unit accepts its first file; it is installed, applied, the old one kept, the result written back', async (t) => {
  const u = await newUnit(t);
  const before = readFileSync(u.configPath);
  const text = await goodFile(u, 'SHOP-7');
  const r = await importFrom(u, stick({ 'paypoint.toml': text }));
  t.equal(r.status, 'applied', r.result);
  t.match(r.result, /result: APPLIED/);
  t.equal(readFileSync(u.configPath, 'utf8'), text, 'installed byte for byte');
  t.same(readFileSync(`${u.configPath}.previous`), before, 'previous file kept');
  t.equal(u.applier.daemon?.config.pos.terminal_id, 'SHOP-7', 'the restarted daemon runs the new file');
  t.equal(readImportMarker(u.dataDir)?.result, 'applied', 'result left for the LED');
  // The daemon picks the result up on its next refresh (every 2 s).
  let led: string | null = null;
  for (let i = 0; i < 100 && led !== 'config-applied'; i++) {
    led = (await u.applier.daemon!.appliance!.snapshot()).led;
    if (led !== 'config-applied') await new Promise((r) => setTimeout(r, 100));
  }
  t.equal(led, 'config-applied', 'the LED shows "configuration applied"');
  t.notMatch(r.result, SECRET);
});

t.test('after the first file, a stick needs the admin secret', async (t) => {
  const u = await newUnit(t);
  t.equal((await importFrom(u, stick({ 'paypoint.toml': await goodFile(u, 'FIRST') }))).status, 'applied');
  const installed = readFileSync(u.configPath, 'utf8');

  const none = await importFrom(u, stick({ 'paypoint.toml': await goodFile(u, 'INTRUDER') }));
  t.equal(none.status, 'refused');
  t.match(none.result, /REFUSED/);
  t.match(none.result, /admin secret: put it in paypoint-secret\.txt/);

  const wrong = await importFrom(u, stick({ 'paypoint.toml': await goodFile(u, 'INTRUDER'), 'paypoint-secret.txt': 'guess\n' }));
  t.equal(wrong.status, 'refused');
  t.match(wrong.result, /wrong admin secret/);
  t.equal(readFileSync(u.configPath, 'utf8'), installed, 'configuration unchanged');
  t.equal(u.applier.daemon?.config.pos.terminal_id, 'FIRST', 'daemon not restarted on another file');
  t.equal(readImportMarker(u.dataDir)?.result, 'refused');

  // The right secret, as Notepad saves it (BOM, CRLF).
  const right = await importFrom(u, stick({ 'paypoint.toml': await goodFile(u, 'SECOND'), 'paypoint-secret.txt': `\uFEFF${SECRET}\r\n` }));
  t.equal(right.status, 'applied', right.result);
  t.equal(u.applier.daemon?.config.pos.terminal_id, 'SECOND');
});

t.test('a file from a stick must set the admin secret hash', async (t) => {
  const u = await newUnit(t);
  const r = await importFrom(u, stick({ 'paypoint.toml': `[pos]\nterminal_id = "X"\n` }));
  t.equal(r.status, 'refused');
  t.match(r.result, /paypoint\.toml:0: unit\.admin_secret_sha256: must be set/);
});

t.test('a bad file is refused with each problem and its line in paypoint-result.txt', async (t) => {
  const u = await newUnit(t);
  const before = readFileSync(u.configPath, 'utf8');
  const bad = `# comment\n[pos]\nmax_amount = -5\nterminal_id = "ok"\ncolour = "red"\n[unit]\nadmin_secret_sha256 = "${HASH}"\n`;
  const r = await importFrom(u, stick({ 'paypoint.toml': bad }));
  t.equal(r.status, 'refused');
  t.match(r.result, /^paypoint\.toml:3: pos\.max_amount: /m);
  t.match(r.result, /^paypoint\.toml:5: pos\.colour: unknown field "colour"/m);
  t.equal(readFileSync(u.configPath, 'utf8'), before, 'configuration unchanged');
  t.equal(u.applier.starts, 1, 'no restart');

  const syntax = await importFrom(u, stick({ 'paypoint.toml': '[pos]\nterminal_id = "unterminated\n' }));
  t.match(syntax.result, /^paypoint\.toml:2: \(syntax\): /m);
});

t.test('oversized and symlinked files are refused', async (t) => {
  const u = await newUnit(t);
  const big = await importFrom(u, stick({ 'paypoint.toml': '#'.repeat(70 * 1024) }));
  t.equal(big.status, 'refused');
  t.match(big.result, /paypoint\.toml: too large: 71680 bytes, at most 65536/);

  const dir = stick({});
  writeFileSync(join(dir, 'real.toml'), await goodFile(u, 'VIA-LINK'));
  symlinkSync(join(dir, 'real.toml'), join(dir, 'paypoint.toml'));
  const link = await importFrom(u, dir);
  t.equal(link.status, 'refused');
  t.match(link.result, /paypoint\.toml: is a symbolic link, refused/);

  const sdir = stick({ 'paypoint.toml': await goodFile(u, 'X') });
  mkdirSync(join(sdir, 'sub'));
  symlinkSync('/etc/shadow', join(sdir, 'paypoint-secret.txt'));
  t.match((await importFrom(u, sdir)).result, /paypoint-secret\.txt: is a symbolic link, refused/);
  t.equal(u.applier.daemon?.config.pos.terminal_id, 'SIM-0001', 'nothing applied');
});

t.test('rollback: a file the daemon cannot start with is replaced by the previous one', async (t) => {
  const u = await newUnit(t);
  t.equal((await importFrom(u, stick({ 'paypoint.toml': await goodFile(u, 'GOOD') }))).status, 'applied');
  const good = readFileSync(u.configPath, 'utf8');
  // Valid for the schema, but the SOAP port is taken: the daemon fails to start.
  const blocker: Server = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  t.teardown(() => blocker.close());
  const busyPort = (blocker.address() as { port: number }).port;
  const text = (await goodFile(u, 'BROKEN')).replace(/\[api\]\nport = \d+/, `[api]\nport = ${busyPort}`);
  const r = await importFrom(u, stick({ 'paypoint.toml': text, 'paypoint-secret.txt': SECRET }));
  t.equal(r.status, 'rolled-back', r.result);
  t.match(r.result, /REFUSED \(rolled back\)/);
  t.match(r.result, /not healthy within 10 s/);
  t.match(r.result, /previous configuration is back and healthy/);
  t.equal(readFileSync(u.configPath, 'utf8'), good, 'the previous file is back');
  t.equal(u.applier.daemon?.config.pos.terminal_id, 'GOOD', 'and running');
  t.equal(readImportMarker(u.dataDir)?.result, 'refused');
});

t.test('export: the session journal and report status as CSV for a date range', async (t) => {
  const u = await newUnit(t);
  t.equal((await importFrom(u, stick({ 'paypoint.toml': await goodFile(u, 'EXP-1') }))).status, 'applied');
  const d = u.applier.daemon!;
  t.equal(await d.engine.pay({ uid: '=cmd|evil', amount: 1000, order: [{ id: '1', name: 'Хлеб', count: '1', cost: 1000 }] }), 0);
  await d.sim!.coin!.insert(1000);
  for (let i = 0; i < 200 && d.engine.currentSession() !== null; i++) await new Promise((r) => setTimeout(r, 10));
  const today = new Date().toISOString().slice(0, 10);
  const dir = stick({ 'paypoint-export.txt': `${today} ${today}\n`, 'paypoint-secret.txt': SECRET });
  const r = await importFrom(u, dir);
  t.equal(r.status, 'nothing');
  t.match(r.result, /result: EXPORTED/);
  t.equal(r.exportFile, `paypoint-export-EXP-1-${today}_${today}.csv`);
  const csv = readFileSync(join(dir, r.exportFile!), 'utf8');
  const lines = csv.replace(/^\uFEFF/, '').trim().split('\r\n');
  t.equal(lines.length, 2, 'header + one session');
  t.match(lines[0], /^session_id;uid;state;/);
  t.match(lines[1], /;'=cmd\|evil;paid;/, 'a formula-looking uid is neutralised');
  t.match(lines[1], /;pending;/, 'report status: waiting (no processing server)');
  t.match(lines[1], /;no$/, 'clock not known synchronised here: flagged');

  // Cash operations go beside it: the opening count and a collection made from the page or the CLI.
  await d.cash.collect({ declared: { 1000: 1 }, by: 'login:tech', note: '=SUM(A1)' });
  const r2 = await importFrom(u, stick({ 'paypoint-export.txt': `${today} ${today}\n`, 'paypoint-secret.txt': SECRET }));
  t.match(r2.result, /paypoint-cash-EXP-1-.*: 2 collections and refills/, 'the opening count and the collection');
  const cashDir = stick({ 'paypoint-export.txt': `${today}\n`, 'paypoint-secret.txt': SECRET });
  await importFrom(u, cashDir);
  const cashLines = readFileSync(join(cashDir, `paypoint-cash-EXP-1-${today}_${today}.csv`), 'utf8').replace(/^\uFEFF/, '').trim().split('\r\n');
  t.match(cashLines[0], /^record_id;op;time;by;note;place;value;counted;declared;difference;added;after$/);
  t.match(cashLines.find((l) => l.includes(';collection;')) ?? '', /;login:tech;'=SUM\(A1\);box;1000;1;1;0;;0$/, 'the coin counted in the box, declared, no difference; the note neutralised');

  const refused = stick({ 'paypoint-export.txt': `${today}\n` });
  t.match((await importFrom(u, refused)).result, /admin secret/, 'export needs the secret too');
  t.notOk(existsSync(join(refused, `paypoint-export-EXP-1-${today}_${today}.csv`)));
});

t.test('a unit whose own file no longer loads keeps the admin secret written in it (the configuration-error mode)', async (t) => {
  const u = await newUnit(t);
  t.equal((await importFrom(u, stick({ 'paypoint.toml': await goodFile(u, 'FIRST') }))).status, 'applied');
  await u.applier.daemon?.stop();
  // A hand edit breaks a field; the hash line is intact. No previous file to fall back on.
  rmSync(`${u.configPath}.previous`, { force: true });
  const broken = readFileSync(u.configPath, 'utf8').replace('[pos]', '[pos]\nmax_amount = -1');
  writeFileSync(u.configPath, broken);
  const none = await importFrom(u, stick({ 'paypoint.toml': await goodFile(u, 'INTRUDER') }));
  t.equal(none.status, 'refused', 'no secret on the stick: refused');
  t.match(none.result, /admin secret: put it in paypoint-secret\.txt/);
  t.equal(readFileSync(u.configPath, 'utf8'), broken, 'nothing installed');
  const right = await importFrom(u, stick({ 'paypoint.toml': await goodFile(u, 'MENDED'), 'paypoint-secret.txt': `${SECRET}\n` }));
  t.equal(right.status, 'applied', right.result);
});
