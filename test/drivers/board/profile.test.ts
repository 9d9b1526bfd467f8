import t from 'tap';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadBoardProfile, parseBoardProfile } from '../../../src/drivers/board/profile.js';
import { ErrorCode, type PayPointError } from '../../../src/errors.js';

const REFERENCE = new URL('../../../board/profiles/reference-pi4.json', import.meta.url).pathname;

t.test('the reference profile loads, with its defaults filled in', async (t) => {
  const p = await loadBoardProfile(REFERENCE);
  t.equal(p.name, 'reference-pi4');
  t.match(p.billValidator, { type: 'ccnet', port: '/dev/serial0', baudRate: 9600, address: 3 });
  t.same(p.hoppers.map((h) => h.value), [100, 200, 500, 1000]);
  t.equal(p.hoppers[1].noCoinTimeoutMs, 2500);
  t.match(p.lineProviders.mcp, { type: 'mcp23017', bus: 1, address: 0x20 });
  t.ok(p.configTxt.includes('enable_uart=1'));
});

async function invalid(t: { rejects: Function }, mutate: (p: any) => void): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const p = JSON.parse(await readFile(REFERENCE, 'utf8'));
  mutate(p);
  try {
    parseBoardProfile(p, 'x.json');
  } catch (e) {
    if ((e as PayPointError).code !== ErrorCode.ConfigInvalid) throw e;
    return (e as Error).message;
  }
  throw new Error('accepted an invalid profile');
}

t.test('refused with the path of the bad field', async (t) => {
  t.match(await invalid(t, (p) => (p.hoppers[1].motor.pin = 9)), /hoppers\.1\.motor\.pin: mcp:9 is already used by hoppers\.0\.motor/);
  t.match(await invalid(t, (p) => (p.coinAcceptor.pulse.provider = 'gpoi')), /coinAcceptor\.pulse\.provider: no line provider named "gpoi"/);
  t.match(await invalid(t, (p) => (p.hoppers[0].empty.pin = 16)), /hoppers\.0\.empty\.pin: an MCP23017 has pins 0-15/);
  t.match(await invalid(t, (p) => (p.hoppers[3].value = 100)), /hoppers\.3\.value: two hoppers for 100/);
  t.match(await invalid(t, (p) => (p.coinAcceptor.values['0'] = 5)), /coinAcceptor\.values/);
  t.match(await invalid(t, (p) => (p.coinAcceptor.timings.maxPulseMs = 10)), /coinAcceptor\.timings/);
  t.match(await invalid(t, (p) => (p.lineProviders.mcp.address = 0x40)), /lineProviders\.mcp\.address/);
  t.match(await invalid(t, (p) => (p.hopers = [])), /Unrecognized key|unrecognized/i);
  t.match(await invalid(t, (p) => (p.coinAcceptor.pulse.pull = 'up')), /config\.txt/);
});

t.test('unreadable and malformed files', async (t) => {
  const dir = t.testdir({});
  await t.rejects(loadBoardProfile(join(dir, 'missing.json')), { code: ErrorCode.ConfigUnreadable });
  await writeFile(join(dir, 'bad.json'), '{ "name": ');
  await t.rejects(loadBoardProfile(join(dir, 'bad.json')), { code: ErrorCode.ConfigSyntax });
});

t.test('every problem names file, line and field, as a configuration file\'s do (the configuration-error mode shows them)', async (t) => {
  const dir = t.testdir({});
  const text = [
    '{',
    '  "name": "x",',
    '  "board": "test",',
    '  "lineProviders": { "gpio": { "type": "gpio" } },',
    '  "cancelButton": {',
    '    "provider": "gpio",',
    '    "pin": 99',
    '  },',
    '  "hopers": []',
    '}',
  ].join('\n');
  const file = join(dir, 'p.json');
  await writeFile(file, text);
  const e = (await loadBoardProfile(file).catch((x) => x)) as PayPointError;
  t.equal(e.code, ErrorCode.ConfigInvalid);
  const problems = (e.context.problems as Array<{ file: string; line: number; field: string }>).map((p) => [p.file, p.line, p.field]).sort();
  t.same(problems, [[file, 1, '(root)'], [file, 7, 'cancelButton.pin']].sort(), 'the unknown key is reported on its object, the pin on its line');

  await writeFile(join(dir, 'syntax.json'), '{\n  "name": "x",\n  "board": ,\n}');
  const s = (await loadBoardProfile(join(dir, 'syntax.json')).catch((x) => x)) as PayPointError;
  t.equal(s.code, ErrorCode.ConfigSyntax);
  t.match(s.context.problems, [{ file: join(dir, 'syntax.json'), line: 3, field: '(syntax)' }]);

  const m = (await loadBoardProfile(join(dir, 'missing.json')).catch((x) => x)) as PayPointError;
  t.match(m.context.problems, [{ line: 0, field: '(file)' }]);
});
