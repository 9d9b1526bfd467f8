/**
 * The processing server from the command line, against the strict spyne stand-in of 1C: `try register`
 * sends one valid Register and prints 1C's answer; `processing check` accepts a server whose schema
 * declares xs:integer where the kiosk sends xs:int (a superset) and still refuses a type that does not
 * fit; every line it prints has a Russian form.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasTranslation } from '../../src/cli/messages.js';
import { processingWsdl } from '../../src/services/reports/processing-wsdl.js';
import { BIN, tempDir } from '../helpers/daemon.js';
import { startProcessingServer } from '../services/reports/processing-server.js';

const NS = 'http://www.stampsoft.ru/processing';
const dir = tempDir('pp-proc-cli-');

function cli(args: string[], lang = 'C') {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, LANG: lang, LC_ALL: '', LC_MESSAGES: '' } });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

t.test('try register: true from a strict 1C stand-in, false when it refuses, exit codes 0 and 1', async (t) => {
  const srv = await startProcessingServer({ login: 'u', password: 'p' });
  t.teardown(() => srv.stop());
  const ok = cli(['try', 'register', '--url', srv.url, '--login', 'u', '--password', 'p', '--terminal-id', 'KIOSK-7']);
  t.equal(ok.status, 0, ok.out + ok.err);
  t.match(ok.out, /the server answered true/);
  const got = srv.received();
  t.equal(got.length, 1);
  t.equal(got[0].result, 'true', 'the stand-in validated the request against its schema');
  t.match(got[0].values, { terminal_id: 'KIOSK-7', amount: 100, pay_amount: 100, charge_amount: 0, rest_amount: 0, pay_type: 0, order: [{ id: 'paypoint-try', count: '1', cost: 100 }] });
  t.match(got[0].values!.uid, /^paypoint-try-[0-9a-f-]{36}$/);
  await srv.control('false');
  const no = cli(['try', 'register', '--url', srv.url, '--login', 'u', '--password', 'p'], 'ru_RU.UTF-8');
  t.equal(no.status, 1);
  t.match(no.err, /сервер ответил false: платёж отклонён/);
  const unauth = cli(['try', 'register', '--url', srv.url]);
  t.equal(unauth.status, 1);
  t.match(unauth.err, /not delivered \(auth\): HTTP 401/);
  const missing = cli(['try', 'register']);
  t.equal(missing.status, 2);
  t.match(missing.err, /--url is required/);
});

t.test('processing check: xs:integer on the server fits; xs:string does not; Russian for every line', async (t) => {
  const cases = [
    ['integer', processingWsdl(NS, 'processing').replace('<xs:element name="amount" type="xs:int"/>', '<xs:element name="amount" type="xs:integer"/>'), 0],
    ['string', processingWsdl(NS, 'processing').replace('<xs:element name="amount" type="xs:int"/>', '<xs:element name="amount" type="xs:string"/>'), 1],
  ] as const;
  for (const [name, wsdl, want] of cases) {
    t.not(wsdl, processingWsdl(NS, 'processing'), `${name}: the WSDL was changed`);
    const file = join(dir, `${name}.wsdl`);
    writeFileSync(file, wsdl);
    const srv = await startProcessingServer({ wsdl: file });
    const cfg = join(dir, `${name}.toml`);
    writeFileSync(cfg, `[processing]\nurl = "${srv.url}"\n`);
    const en = cli(['processing', 'check', '--config', cfg, '--lang', 'en']);
    t.equal(en.status, want, en.out + en.err);
    if (want === 0) t.match(en.out, /ok {3}Register\/amount is integer on the server, the kiosk sends int \(a subset\): fits/);
    else t.match(en.out, /FAIL Register\/amount: type \{http:\/\/www\.w3\.org\/2001\/XMLSchema\}string, the kiosk sends/);
    const untranslated = en.out.split('\n').filter(Boolean).map((l) => l.replace(/^(ok {2}|warn|FAIL) /, '')).filter((l) => !hasTranslation(l));
    t.same(untranslated, [], `${name}: every line has a Russian form`);
    // The configured language (status.language defaults to ru) decides when LANG is not set.
    const ru = cli(['processing', 'check', '--config', cfg], 'C');
    t.equal(ru.status, want);
    t.match(ru.out, want === 0 ? /совместимо: сервер принимает/ : /НЕ совместимо/);
    await srv.stop();
  }
});
