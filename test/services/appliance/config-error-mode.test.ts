/**
 * The configuration-error mode (docs/appliance.md, "Configuration error") on the REAL daemon process
 * (bin/paypoint serve): a configuration file or a board profile that cannot be loaded no longer ends the
 * daemon (which, under Restart=always and StartLimitAction=reboot, rebooted the unit in a loop). It
 * reaches READY=1 (a real NOTIFY_SOCKET) and keeps feeding the watchdog, Pay answers -2 (contract 1),
 * PayPoll answers from the store, /api/status names file, line and field, an open session and its credit
 * stay as they were; then a good file through the real import path (`paypoint usb-import`, with a
 * stand-in systemctl that restarts the supervised daemon as systemd would) brings it back to normal,
 * where the open session resumes. A file whose board profile is bad is rolled back by that same import.
 */
import t, { type Test } from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode } from '../../../src/errors.js';
import { BIN, REPO, freePort, httpRequest, payXml, pollUntil, pollXml, returnCode, simCmd, soapPost, tempDir } from '../../helpers/daemon.js';
import { lastAnswer, waitFor } from '../../helpers/wait.js';
import { notifyReceiver, type NotifyReceiver } from './notify-receiver.js';

/**
 * The daemon under a small stand-in for systemd: restarted whenever it exits (Restart=always), its pid
 * kept in a file while it is up and READY, its restarts counted (NRestarts), and a `systemctl` script
 * that the import calls (restart, is-active, show -p NRestarts).
 */
class Supervised {
  child: ChildProcess | null = null;
  logs: string[] = [];
  starts = 0;
  private stopping = false;
  readonly dir = tempDir('paypoint-unit-');
  readonly pidFile = join(this.dir, 'pid');
  readonly restartsFile = join(this.dir, 'restarts');
  readonly systemctl = join(this.dir, 'systemctl');
  readonly calls = join(this.dir, 'calls.log');
  /** Left by `systemctl restart`: the exit that follows is asked for, not counted in NRestarts. */
  readonly asked = join(this.dir, 'asked');
  private restarts = 0;

  constructor(
    private readonly args: string[],
    private readonly env: NodeJS.ProcessEnv,
  ) {
    writeFileSync(this.restartsFile, '0\n');
    writeFileSync(
      this.systemctl,
      [
        '#!/bin/sh',
        `echo "$*" >> ${this.calls}`,
        'case "$1" in',
        `  restart) touch ${this.asked}; kill -TERM "$(cat ${this.pidFile} 2>/dev/null)" 2>/dev/null; exit 0 ;;`,
        `  is-active) if [ -f ${this.pidFile} ] && kill -0 "$(cat ${this.pidFile})" 2>/dev/null; then echo active; else echo activating; exit 3; fi ;;`,
        `  show) cat ${this.restartsFile} ;;`,
        'esac',
        'exit 0',
        '',
      ].join('\n'),
    );
    chmodSync(this.systemctl, 0o755);
  }

  start(): void {
    const child = spawn(process.execPath, [BIN, 'serve', ...this.args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...this.env } });
    this.child = child;
    this.starts++;
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        this.logs.push(line);
        if (line.includes('"msg":"ready"')) writeFileSync(this.pidFile, `${child.pid}\n`);
      }
    });
    child.stderr!.on('data', (d: Buffer) => this.logs.push(`stderr: ${d.toString()}`));
    child.on('exit', () => {
      rmSync(this.pidFile, { force: true });
      if (existsSync(this.asked)) rmSync(this.asked);
      else if (!this.stopping) writeFileSync(this.restartsFile, `${++this.restarts}\n`);
      if (this.child === child) this.child = null;
      // Restart=always, RestartSec; not once the test stops it (also when that comes during the pause).
      if (!this.stopping) setTimeout(() => this.stopping || this.start(), 200);
    });
  }

  /** Resolves once the daemon started `n` times in all has logged "ready". */
  async ready(n: number, what: string): Promise<Record<string, unknown>> {
    let line: string | undefined;
    await waitFor(what, async () => {
      if (this.restarts >= 2) {
        const stderr = this.logs.filter((l) => l.startsWith('stderr: ')).slice(-1)[0] ?? '';
        throw new Error(`${what}: the daemon exited ${this.restarts} times on its own (a restart loop; under StartLimitAction=reboot the unit reboots); last ${stderr.trim()}`);
      }
      const readies = this.logs.filter((l) => l.includes('"msg":"ready"'));
      line = readies[n - 1];
      return line !== undefined && existsSync(this.pidFile);
    }, { timeoutMs: 30_000, everyMs: 100 });
    return JSON.parse(line!) as Record<string, unknown>;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const c = this.child;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((res) => {
      c.on('exit', () => res());
      c.kill('SIGTERM');
    });
  }
}

interface Unit {
  rx: NotifyReceiver;
  cfgPath: string;
  dataDir: string;
  port: number;
  statusPort: number;
  url: string;
  /** The status section every file here carries (the same ports as the command line's flags). */
  statusToml: string;
}

async function unit(t: Test): Promise<Unit> {
  const rx = await notifyReceiver();
  t.teardown(() => rx.close());
  const dataDir = tempDir();
  const cfgPath = join(tempDir('paypoint-etc-'), 'paypoint.toml');
  const port = await freePort();
  const statusPort = await freePort();
  return { rx, cfgPath, dataDir, port, statusPort, url: `http://127.0.0.1:${port}/`, statusToml: `[status]\nport = ${statusPort}\nbind = "127.0.0.1"\n` };
}

/** The daemon of `u` under the stand-in for systemd, started. */
function supervise(t: Test, u: Unit): Supervised {
  const sup = new Supervised(['--config', u.cfgPath, '--data-dir', u.dataDir, '--port', String(u.port), '--status-port', String(u.statusPort)], {
    NOTIFY_SOCKET: u.rx.path,
    WATCHDOG_USEC: '1500000', // a ping every 500 ms
  });
  t.teardown(() => sup.stop());
  sup.start();
  return sup;
}

async function status(u: Unit): Promise<Record<string, any>> {
  const r = await httpRequest(u.statusPort, '/api/status');
  if (r.status !== 200) throw new Error(`/api/status answered ${r.status}`);
  return JSON.parse(r.body) as Record<string, any>;
}

function usbImport(stickDir: string, u: Unit, sup: Supervised): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [BIN, 'usb-import', stickDir, '--config', u.cfgPath, '--systemctl', sup.systemctl], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (out += d));
    c.on('exit', (code) => resolve({ code, out }));
  });
}

function stick(files: Record<string, string>): string {
  const dir = tempDir('paypoint-stick-');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** Checks the daemon reached READY=1 (datagrams after line `from`) in the configuration-error mode and
 *  keeps feeding the watchdog, started once. */
async function checkReadyAndAlive(t: Test, u: Unit, sup: Supervised, code: number, from: number): Promise<void> {
  const ready = await u.rx.waitFor(/^READY=1$/, from);
  t.ok(u.rx.lines.slice(from).some((l) => l.startsWith(`STATUS=configuration error ${code}: `)), `STATUS= names error ${code}`);
  const ping = await u.rx.waitFor(/^WATCHDOG=1$/, ready);
  await u.rx.waitFor(/^WATCHDOG=1$/, ping + 1);
  t.equal(sup.starts, 1, 'started once: no exit, no restart');
  t.equal(sup.child?.exitCode, null, 'the process stays up');
}

async function insertWhenOpen(d: Parameters<typeof simCmd>[0], value: string) {
  let r: Awaited<ReturnType<typeof simCmd>> | null = null;
  await waitFor('the coin taken', async () => !/acceptor is closed/.test((r = await simCmd(d, 'coin', value)).out), { timeoutMs: 15_000, everyMs: 100 }).catch(lastAnswer);
  return r!;
}

const GOOD_SECRET_HASH = 'a'.repeat(64);

t.test('a configuration file that cannot be loaded: READY, Pay -2, the error on /api/status, the open session kept; a good file from the stick brings it back', async (t) => {
  // A unit in service: a session open with 10 RUB credited when the daemon stops.
  const u = await unit(t);
  writeFileSync(u.cfgPath, `[pos]\nterminal_id = "CFG-1"\n${u.statusToml}[led]\nenabled = false\n`);
  const normal = supervise(t, u);
  await normal.ready(1, 'normal start');
  t.equal(returnCode((await soapPost(u.url, payXml('open-1', 5000))).body), 0, 'Pay open-1: 0');
  t.equal((await insertWhenOpen(u, '10')).code, 0);
  t.equal((await status(u)).session.credited, 1000, '10 RUB credited');
  await normal.stop();

  // The operator's file goes bad (a hand edit): line 3, pos.max_amount.
  writeFileSync(u.cfgPath, `[pos]\nterminal_id = "CFG-1"\nmax_amount = -5\n${u.statusToml}`);
  const from = u.rx.lines.length;
  const sup = supervise(t, u);
  t.equal((await sup.ready(1, 'start in the configuration-error mode')).mode, 'config-error');
  await checkReadyAndAlive(t, u, sup, ErrorCode.ConfigInvalid, from);
  const v = u;
  const s = await status(v);
  t.equal(s.state, 'config-error');
  t.equal(s.configError.code, ErrorCode.ConfigInvalid);
  t.equal(s.configError.source, 'config');
  t.same(s.configError.problems.map((p: any) => [p.file, p.line, p.field]), [[u.cfgPath, 3, 'pos.max_amount']], 'file, line and field');
  t.equal(s.configError.configTrusted, false);
  t.equal(s.configError.reportsSent, false);
  t.same(s.sessions, [], 'no sessions shown without the file\'s page login');
  const metrics = await httpRequest(u.statusPort, '/metrics');
  t.match(metrics.body, /^paypoint_config_error 102$/m);

  t.equal(returnCode((await soapPost(u.url, payXml('new-1', 100))).body), -2, 'Pay: -2, the kiosk cannot take a payment now');
  t.equal(returnCode((await soapPost(u.url, payXml('open-1', 100))).body), -3, 'Pay of a remembered uid: -3 (contract order)');
  t.equal(returnCode((await soapPost(u.url, payXml('new-2', 0))).body), -1, 'Pay with amount 0: -1');
  t.equal(returnCode((await soapPost(u.url, pollXml('open-1'))).body), 1, 'PayPoll of the open session: 1, in progress');
  t.equal(returnCode((await soapPost(u.url, pollXml('new-1'))).body), -4, 'PayPoll of an unknown uid: -4; the refused Pay stored nothing');
  const err = sup.logs.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).find((l: any) => l.level === 'error' && l.err?.code === ErrorCode.ConfigInvalid);
  t.ok(err, 'the journal has the structured error');
  t.same(err.err.problems[0], { file: u.cfgPath, line: 3, field: 'pos.max_amount', reason: err.err.problems[0].reason });

  // The technician's stick: a good file. This unit's own file cannot be read, so its secret is unknown
  // and the stick's file is taken as a new unit's first file.
  const good = `[pos]\nterminal_id = "CFG-1"\n${u.statusToml}[led]\nenabled = false\n[unit]\nadmin_secret_sha256 = "${GOOD_SECRET_HASH}"\napply_timeout_s = 30\n`;
  const r = await usbImport(stick({ 'paypoint.toml': good }), v, sup);
  t.equal(r.code, 0, r.out);
  t.match(r.out, /APPLIED/);
  t.equal(readFileSync(u.cfgPath, 'utf8'), good);
  t.match(readFileSync(sup.calls, 'utf8'), /^restart --no-block paypoint\.service$/m, 'restarted, not reloaded');
  t.equal((await sup.ready(2, 'restarted by the import'))?.mode, undefined, 'normal mode');
  const back = await status(v);
  t.not(back.state, 'config-error', `normal mode again (${back.state})`);
  t.equal(back.configError, undefined);
  t.equal(back.session?.uid, 'open-1', 'the open session resumed');
  t.equal(back.session?.credited, 1000, 'with its credit');
  t.equal((await simCmd(v, 'cancel')).code, 0);
  t.equal(await pollUntil(v, 'open-1', 2), 2, 'cancelled: the 10 RUB given back');
  t.equal(returnCode((await soapPost(u.url, payXml('new-3', 100))).body), 0, 'Pay: 0 in normal mode');
});

/** The reference profile with one pin used twice: hoppers.1.motor.pin. */
function badProfile(): { path: string; line: number } {
  const p = JSON.parse(readFileSync(join(REPO, 'board/profiles/reference-pi4.json'), 'utf8'));
  p.hoppers[1].motor.pin = p.hoppers[0].motor.pin;
  const text = JSON.stringify(p, null, 2);
  const path = join(tempDir('paypoint-profile-'), 'bad-profile.json');
  writeFileSync(path, text);
  // The line of "pin" in hoppers[1].motor: the second "motor" member, the line after it.
  const lines = text.split('\n');
  const motors = lines.map((l, i) => (l.includes('"motor"') ? i : -1)).filter((i) => i >= 0);
  const pinLine = lines.findIndex((l, i) => i > motors[1]! && l.includes('"pin"'));
  return { path, line: pinLine + 1 };
}

function fakeLed(): { root: string; dir: string } {
  const root = tempDir('paypoint-leds-');
  const dir = join(root, 'paypoint:green:status');
  mkdirSync(dir);
  writeFileSync(join(dir, 'trigger'), 'none [timer]');
  writeFileSync(join(dir, 'brightness'), '0');
  writeFileSync(join(dir, 'max_brightness'), '1');
  return { root, dir };
}

t.test('a board profile that cannot be loaded: READY with the operator\'s settings, the profile\'s file, line and field, the LED code; the import applies a good profile', async (t) => {
  const bad = badProfile();
  const led = fakeLed();
  const devices = (profile: string) => `[devices]\ncoin = "board"\nhoppers = "board"\nbill = "sim"\ncard = "none"\nboard_simulated = true\nboard_profile = "${profile}"\n`;
  const u = await unit(t);
  const file = (profile: string, unitToml = '[unit]\napply_timeout_s = 10\n') => `[pos]\nterminal_id = "PROF-1"\n${u.statusToml}[led]\nsysfs_root = "${led.root}"\n${devices(profile)}${unitToml}`;
  writeFileSync(u.cfgPath, file(bad.path));
  const sup = supervise(t, u);
  t.equal((await sup.ready(1, 'start in the configuration-error mode')).mode, 'config-error');
  await checkReadyAndAlive(t, u, sup, ErrorCode.ConfigInvalid, 0);

  const s = await status(u);
  t.equal(s.state, 'config-error');
  t.equal(s.configError.source, 'board-profile');
  t.equal(s.configError.configTrusted, true);
  t.same(s.configError.problems.map((p: any) => [p.file, p.line, p.field]), [[bad.path, bad.line, 'hoppers.1.motor.pin']], 'the profile\'s file, line and field');
  t.equal(s.unit.terminalId, 'PROF-1', 'the operator\'s file is in force for everything but the devices');
  t.equal(s.led, 'config-error');
  t.equal(readFileSync(join(led.dir, 'delay_on'), 'utf8'), '50', 'LED: the configuration-error rhythm');
  t.equal(readFileSync(join(led.dir, 'delay_off'), 'utf8'), '450');
  t.equal(returnCode((await soapPost(u.url, payXml('p-1', 100))).body), -2, 'Pay: -2');
  t.equal(returnCode((await soapPost(u.url, pollXml('p-1'))).body), -4, 'PayPoll of an unknown uid: -4');

  // A stick whose file names a profile that is no better: validated, installed, but the daemon comes up
  // in the configuration-error mode again, which the import does not take for healthy: rolled back.
  const withProfile = (p: string) => file(p, `[unit]\nadmin_secret_sha256 = "${GOOD_SECRET_HASH}"\napply_timeout_s = 10\n`);
  const before = readFileSync(u.cfgPath, 'utf8');
  const refused = await usbImport(stick({ 'paypoint.toml': withProfile(bad.path) }), u, sup);
  t.equal(refused.code, 1, refused.out);
  t.match(refused.out, /REFUSED \(rolled back\)/);
  t.equal(readFileSync(u.cfgPath, 'utf8'), before, 'the previous file is back');

  // The good profile: applied, normal mode.
  const good = join(tempDir('paypoint-profile-'), 'good-profile.json');
  copyFileSync(join(REPO, 'board/profiles/reference-pi4.json'), good);
  const r = await usbImport(stick({ 'paypoint.toml': withProfile(good) }), u, sup);
  t.equal(r.code, 0, r.out);
  t.match(r.out, /APPLIED/);
  const back = await status(u);
  t.not(back.state, 'config-error');
  t.ok(back.devices.some((d: any) => d.name === 'coin-acceptor'), 'the board devices are built');
  t.equal(returnCode((await soapPost(u.url, payXml('p-2', 100))).body), 0, 'Pay: 0');
});
