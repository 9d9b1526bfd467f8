/**
 * Lexical checks of xs:int, xs:decimal and xs:string (src/codecs/soap/xml-schema-types.ts). node-soap
 * alone takes `12abc` as 12 and lets overflow through (docs/design.md, "SOAP (node-soap)"): these are the values that
 * must be refused, and the whitespace forms XML Schema's collapse rule makes valid.
 */
import t from 'tap';
import { DECIMAL_MAX_DIGITS, parseSimple } from '../../../src/codecs/soap/xml-schema-types.js';

function value(type: 'string' | 'int' | 'decimal', raw: string): string | number {
  const r = parseSimple(type, raw);
  if (!r.ok) throw new Error(`expected ${type} "${raw}" to be accepted: ${r.reason}`);
  return r.value;
}

function refused(type: 'string' | 'int' | 'decimal', raw: string): boolean {
  return !parseSimple(type, raw).ok;
}

t.test('xs:int accepts the lexical forms XML Schema allows, whitespace collapsed', async (t) => {
  t.equal(value('int', '100'), 100);
  t.equal(value('int', '  100\n'), 100);
  t.equal(value('int', '\t+7 '), 7);
  t.equal(value('int', '-5'), -5);
  t.equal(value('int', '0007'), 7);
  t.equal(value('int', '-0'), 0);
  t.ok(Object.is(value('int', '-0'), 0), '-0 becomes +0, not a negative zero');
  t.equal(value('int', '2147483647'), 2147483647);
  t.equal(value('int', '-2147483648'), -2147483648);
  t.equal(value('int', '000000000000000000002147483647'), 2147483647, 'leading zeros do not count as overflow');
});

t.test('xs:int refuses what node-soap would coerce', async (t) => {
  for (const raw of ['12abc', 'abc', '', '   ', '1.0', '1e3', '0x10', '1 2', '++1', '-', '+', 'NaN', 'Infinity', '١٢', '１２']) {
    t.ok(refused('int', raw), `"${raw}" refused`);
  }
});

t.test('xs:int refuses values outside 32 bits', async (t) => {
  for (const raw of ['2147483648', '-2147483649', '99999999999', '9007199254740993', '1' + '0'.repeat(400)]) {
    t.ok(refused('int', raw), `${raw.slice(0, 20)} refused`);
  }
});

t.test('xs:decimal accepts fractions and gives the canonical form', async (t) => {
  t.equal(value('decimal', '1'), '1');
  t.equal(value('decimal', ' 0.375 '), '0.375');
  t.equal(value('decimal', '+007.500'), '7.5');
  t.equal(value('decimal', '.5'), '0.5');
  t.equal(value('decimal', '5.'), '5');
  t.equal(value('decimal', '-1.25'), '-1.25', 'a negative count is lexically valid; Pay answers -1 for it later');
  t.equal(value('decimal', '0'), '0');
});

t.test('xs:decimal refuses what is not a decimal', async (t) => {
  for (const raw of ['', '.', '1e3', '1,5', '1.2.3', 'abc', '12abc', 'NaN', 'INF', '0x1', '1 .5', '- 1']) {
    t.ok(refused('decimal', raw), `"${raw}" refused`);
  }
});

t.test('xs:decimal bounds the digits it will do arithmetic on', async (t) => {
  t.notOk(refused('decimal', '1'.repeat(DECIMAL_MAX_DIGITS)));
  t.ok(refused('decimal', '1'.repeat(DECIMAL_MAX_DIGITS + 1)));
  t.ok(refused('decimal', '0.' + '1'.repeat(DECIMAL_MAX_DIGITS)));
  t.ok(refused('decimal', '9'.repeat(100_000)), 'a huge number is refused, not parsed');
});

t.test('xs:string keeps the text exactly as sent (whitespace included)', async (t) => {
  t.equal(value('string', ' a  b\n'), ' a  b\n');
  t.equal(value('string', ''), '');
  t.equal(value('string', 'Молоко 3,2%'), 'Молоко 3,2%');
});

t.test('refusal reasons are one printable line, bounded, whatever the input', async (t) => {
  const r = parseSimple('int', 'x'.repeat(10_000) + '\n\u0000<>');
  t.equal(r.ok, false);
  if (!r.ok) {
    t.notMatch(r.reason, /[\n\r\u0000]/);
    t.ok(r.reason.length < 100, `reason is short (${r.reason.length})`);
  }
});
