/**
 * The 1C integration guide (docs/1c) cannot drift from the code: its XML examples are valid against the
 * kiosk's WSDL, pos.xsd and the processing WSDL (lxml, strict), they are what a live daemon answers and
 * sends (Pay, PayPoll, then its Register to the strict spyne stand-in of 1C), 1C's Register answer as
 * written is understood by the kiosk's own client, and the guide shows exactly these files.
 */
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { BIN, freePort, REPO, tempDir } from '../helpers/daemon.js';
import { FILES, normalize, readExample, runExchange, startLive, UID, type ExampleFile } from './exchange-1c.js';

const VALIDATOR = join(REPO, 'test/docs/validate-soap-body.py');
const POS_WSDL = join(REPO, 'src/services/soap/wsdl/pos.wsdl');
const POS_XSD = join(REPO, 'src/services/soap/wsdl/pos.xsd');
const PROC_WSDL = join(REPO, 'src/services/reports/wsdl/processing.wsdl');
const GUIDE = join(REPO, 'docs/1c/README.md');

function validate(file: string, ...schemas: string[]): { ok: boolean; out: string } {
  const r = spawnSync('/usr/bin/python3', [VALIDATOR, file, ...schemas], { encoding: 'utf8' });
  return { ok: r.status === 0, out: (r.stdout + r.stderr).trim() };
}

const schemasOf = (f: ExampleFile): string[][] => (f.startsWith('register') ? [[PROC_WSDL], [POS_XSD, PROC_WSDL]] : [[POS_WSDL]]);

t.test('every example is valid against the WSDLs and pos.xsd; a broken copy is not', async (t) => {
  const dir = tempDir('pp-guide-');
  for (const f of FILES) {
    for (const s of schemasOf(f)) {
      const v = validate(join(REPO, 'docs/1c/examples', f), ...s);
      t.ok(v.ok, `${f} against ${s.map((x) => x.slice(REPO.length + 1)).join(' + ')}: ${v.out}`);
    }
  }
  // The validator is not a rubber stamp: the same files with one wrong value or element are refused.
  const breaks: Array<[ExampleFile, string, string, RegExp]> = [
    ['pay-request.xml', '<m:count>0.75</m:count>', '<m:count>0,75</m:count>', /not a valid value of the atomic type 'xs:decimal'/],
    ['pay-request.xml', '<m:amount>15000</m:amount>', '<m:sum>15000</m:sum>', /sum': This element is not expected/],
    ['register-request.xml', '<pay_type>0</pay_type>', '', /Expected is \( \{http:\/\/www\.stampsoft\.ru\/processing\}pay_type/],
    ['paypoll-response-paid.xml', '<PayPollResponse xmlns="http://www.stampsoft.ru/pos">', '<PayPollResponse xmlns="http://www.stampsoft.ru/processing">', /No matching global declaration/],
  ];
  for (const [f, from, to, want] of breaks) {
    const text = readExample(f);
    t.ok(text.includes(from), `${f} has ${from}`);
    const bad = join(dir, f);
    writeFileSync(bad, text.replace(from, to));
    const v = validate(bad, ...schemasOf(f)[0]);
    t.notOk(v.ok, `${f} with ${to || 'no ' + from} is refused`);
    t.match(v.out, want);
  }
});

t.test('the examples are the live exchange: daemon answers, daemon Register to the strict 1C stand-in', async (t) => {
  const live = await startLive();
  t.teardown(() => live.stop());
  const got = await runExchange(live, { pay: readExample('pay-request.xml'), poll: readExample('paypoll-request.xml') });
  for (const f of ['pay-response.xml', 'paypoll-response-progress.xml', 'paypoll-response-paid.xml'] as const) {
    t.same(normalize(got[f]), normalize(readExample(f)), `${f}: the daemon's answer as the guide shows it`);
  }
  // Only the payment's finishing time differs between runs.
  const ignore = new Set(['time']);
  t.same(normalize(got['register-request.xml'], ignore), normalize(readExample('register-request.xml'), ignore), 'register-request.xml: what the daemon sent');
  t.match(got['register-request.xml'], new RegExp(UID));
});

t.test("1C's Register answer as the guide writes it is read as delivered (true) by the kiosk's client", async (t) => {
  for (const [answer, code] of [['true', 0], ['false', 1]] as const) {
    const body = readExample('register-response.xml').replace('<m:return>true</m:return>', `<m:return>${answer}</m:return>`);
    const port = await freePort();
    const srv = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200, { 'Content-Type': 'text/xml; charset=utf-8' }).end(body));
    });
    await new Promise<void>((r) => srv.listen(port, '127.0.0.1', r));
    const c = spawn(process.execPath, [BIN, 'try', 'register', '--url', `http://127.0.0.1:${port}/`, '--lang', 'en'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (out += d));
    const status = await new Promise((r) => c.on('exit', r));
    srv.close();
    t.equal(status, code, out);
    t.match(out, answer === 'true' ? /answered true/ : /answered false/);
  }
});

t.test('the guide shows exactly the example files and links the 1C modules', async (t) => {
  const guide = readFileSync(GUIDE, 'utf8');
  const blocks = [...guide.matchAll(/```xml\n([\s\S]*?)```/g)].map((m) => m[1]);
  for (const f of FILES) t.ok(blocks.includes(readExample(f)), `${f} appears verbatim in the guide`);
  t.equal(blocks.length, FILES.length, 'no other XML in the guide');
  for (const link of ['scanning-terminal.bsl', 'processing-service.bsl']) t.match(guide, `](${link})`, `links ${link}`);
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  t.match(readme, '](docs/1c/README.md)', 'README links the guide');
});

t.test('the 1C modules name what the kiosk publishes and expects', async (t) => {
  const scan = readFileSync(join(REPO, 'docs/1c/scanning-terminal.bsl'), 'utf8');
  const wsdl = readFileSync(POS_WSDL, 'utf8');
  t.match(wsdl, 'targetNamespace="http://www.stampsoft.ru/pos"');
  t.match(wsdl, '<service name="pos">');
  t.match(wsdl, '<port name="pos"');
  t.match(scan, 'Новый WSПрокси(Определения, "http://www.stampsoft.ru/pos", "pos", "pos"');
  for (const code of ['-1', '-2', '-3', '-4', '0', '1', '2']) t.match(scan, new RegExp(`Результат = ${code.replace('-', '\\-')}\\b|Статус = ${code.replace('-', '\\-')}\\b`), `scanning terminal handles ${code}`);
  t.match(scan, 'Новый УникальныйИдентификатор');
  t.notMatch(scan, /ТекущаяДата\(\)\s*\)?\s*;\s*\/\/.*uid|УникальныйНомерОперации = .*ТекущаяДата/, 'the uid is not a time stamp');
  const proc = readFileSync(join(REPO, 'docs/1c/processing-service.bsl'), 'utf8');
  for (const p of ['terminal_id', 'uid', 'amount', 'pay_amount', 'charge_amount', 'rest_amount', 'pay_type', 'order', 'time']) t.match(proc, new RegExp(`\\b${p}\\b`), `Register handler takes ${p}`);
  t.match(proc, /Функция Register\(terminal_id, uid, amount, pay_amount, charge_amount, rest_amount, pay_type, order, time\)/);
});
