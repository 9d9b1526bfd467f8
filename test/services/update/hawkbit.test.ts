/**
 * hawkBit settings ([update] hawkbit_*) on real processes: `paypoint update hawkbit-config` writes
 * rauc-hawkbit-updater's file and starts its service only when on (systemctl is a stand-in), removes the
 * file and stops it when off; the token never appears in the status page's configuration or the log;
 * `paypoint config check` refuses "on" without a server or token, naming the field.
 */
import t from 'tap';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { httpRequest, startDaemonProcess, tempDir } from '../../helpers/daemon.js';
import { cli, readLog, tools, unitConfig } from './helpers.js';

const TOKEN = 'b1g-s3cret-t0ken';

t.test('on: file written with the settings, service started; the token is not shown or logged', async (t) => {
  const u = await unitConfig(`[update]\nhawkbit_enabled = true\nhawkbit_server = "hawkbit.example:8080"\nhawkbit_tenant = "shop"\nhawkbit_auth_token = "${TOKEN}"\n`);
  const tl = tools(null);
  const out = join(tempDir('paypoint-run-'), 'hb.conf');
  const r = await cli(['update', 'hawkbit-config', '--config', u.configPath, '--out', out, '--systemctl', join(tl.bin, 'systemctl')], tl.env);
  t.equal(r.code, 0, r.err);
  const text = readFileSync(out, 'utf8');
  t.match(text, /^\[client\]$/m);
  t.match(text, /^hawkbit_server = hawkbit\.example:8080$/m);
  t.match(text, /^tenant_id = shop$/m);
  t.match(text, /^target_name = SIM-0001$/m, 'target name defaults to the terminal ID');
  t.match(text, new RegExp(`^auth_token = ${TOKEN}$`, 'm'));
  t.match(text, /^post_update_reboot = false$/m);
  t.equal(statSync(out).mode & 0o777, 0o640, 'not world-readable');
  t.match(readLog(tl.systemctlLog), /^start --no-block rauc-hawkbit-updater\.service$/m);
  t.notMatch(r.out + r.err, TOKEN, 'the command does not print the token');

  const d = await startDaemonProcess({ dataDir: u.dataDir, configText: u.text });
  t.teardown(() => d.stop());
  const s = JSON.parse((await httpRequest(u.statusPort, '/api/status')).body) as { config: { update: Record<string, unknown> } };
  t.equal(s.config.update.hawkbit_auth_token_set, true, 'shown as set');
  t.notMatch(JSON.stringify(s), TOKEN, 'the token is not in /api/status');
  t.notMatch(d.logs.join('\n'), TOKEN, 'nor in the log');
});

t.test('off (the default): no file, service stopped', async (t) => {
  const u = await unitConfig();
  const tl = tools(null);
  const out = join(tempDir('paypoint-run-'), 'hb.conf');
  writeFileSync(out, 'old');
  const r = await cli(['update', 'hawkbit-config', '--config', u.configPath, '--out', out, '--systemctl', join(tl.bin, 'systemctl')], tl.env);
  t.equal(r.code, 0, r.err);
  t.notOk(existsSync(out), 'an old file is removed');
  t.match(readLog(tl.systemctlLog), /^stop --no-block rauc-hawkbit-updater\.service$/m);
  t.notMatch(readLog(tl.systemctlLog), /start/);
});

t.test('on without a server or token: refused by config check, naming file, line and field', async (t) => {
  const u = await unitConfig(`[update]\nhawkbit_enabled = true\n`);
  const r = await cli(['config', 'check', u.configPath], process.env);
  t.equal(r.code, 1);
  t.match(r.out + r.err, /paypoint\.toml:\d+: update\.hawkbit_server: hawkbit_enabled is on: the server must be set/);
  t.match(r.out + r.err, /update\.hawkbit_auth_token: hawkbit_enabled is on: the target token must be set/);
});
