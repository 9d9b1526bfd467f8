/**
 * The WSDL and pos.xsd (contract 1): the served WSDL is well-formed XML with soap:address set to the
 * address the unit is reached at (from Host, or the configured public_url), its inline schema types
 * are the standalone pos.xsd's, and pos.xsd validates an order the way 1C's XDTO import would read it.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sax from 'sax';
import { REPO, startDaemonProcess, httpRequest } from '../../helpers/daemon.js';

const XS = 'http://www.w3.org/2001/XMLSchema';
const POS = 'http://www.stampsoft.ru/pos';
const XSD_FILE = join(REPO, 'src/services/soap/wsdl/pos.xsd');

function get(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): ReturnType<typeof httpRequest> {
  return httpRequest(port, path, method, headers);
}

function xmllint(args: string[], input?: string): { code: number | null; out: string } {
  const r = spawnSync('xmllint', args, { input, encoding: 'utf8' });
  return { code: r.status, out: r.stdout + r.stderr };
}

function soapAddress(wsdl: string): string[] {
  return [...wsdl.matchAll(/<soap:address\s+location="([^"]*)"/g)].map((m) => m[1]);
}

/**
 * The named complexTypes of the schema (inline in a WSDL or standalone), as data: for each, its sequence
 * of element declarations with types resolved to {namespace}local. Prefixes do not matter, meaning does.
 */
function complexTypes(xml: string): { schema: Record<string, string>; types: Record<string, Array<Record<string, string>>> } {
  const p = sax.parser(true, { xmlns: true });
  const types: Record<string, Array<Record<string, string>>> = {};
  let schema: Record<string, string> = {};
  const stack: string[] = [];
  let current: string | null = null;
  p.onopentag = (tag) => {
    const tg = tag as sax.QualifiedTag;
    const attr = (n: string) => tg.attributes[n]?.value;
    if (tg.uri === XS && tg.local === 'schema') schema = { targetNamespace: attr('targetNamespace') ?? '', elementFormDefault: attr('elementFormDefault') ?? '' };
    if (tg.uri === XS && tg.local === 'complexType' && stack[stack.length - 1] === 'schema') {
      current = attr('name')!;
      types[current] = [];
    } else if (current && tg.uri === XS && tg.local !== 'sequence') {
      const decl: Record<string, string> = { kind: tg.local };
      for (const [k, a] of Object.entries(tg.attributes)) {
        if (a.prefix === 'xmlns' || k === 'xmlns') continue;
        if (k === 'type') {
          const [pre, local] = a.value.includes(':') ? a.value.split(':') : ['', a.value];
          decl.type = `{${tg.ns[pre]}}${local}`;
        } else decl[k] = a.value;
      }
      types[current].push(decl);
    } else if (current && tg.local === 'sequence') {
      types[current].push({ kind: 'sequence' });
    }
    stack.push(tg.local);
  };
  p.onclosetag = () => {
    const closed = stack.pop();
    if (closed === 'complexType' && stack[stack.length - 1] === 'schema') current = null;
  };
  p.write(xml).close();
  return { schema, types };
}


t.test('the served WSDL', async (t) => {
  const d = await startDaemonProcess();
  t.teardown(() => d.stop());

  t.test('is well-formed XML (xmllint)', async (t) => {
    const r = await get(d.port, '/?wsdl');
    t.equal(r.status, 200);
    t.match(String(r.headers['content-type']), /^text\/xml; charset=utf-8$/);
    const lint = xmllint(['--noout', '-'], r.body);
    t.equal(lint.code, 0, lint.out);
  });

  t.test('the query word is case-insensitive; HEAD gives the headers', async (t) => {
    for (const q of ['/?WSDL', '/?Wsdl', '/?wsdl&x=1']) t.equal((await get(d.port, q)).status, 200, q);
    const h = await get(d.port, '/?wsdl', {}, 'HEAD');
    t.equal(h.status, 200);
    t.equal(h.body, '');
    t.ok(Number(h.headers['content-length']) > 1000);
  });

  t.test('soap:address is the address from the request Host, never the placeholder', async (t) => {
    t.same(soapAddress((await get(d.port, '/?wsdl')).body), [`http://127.0.0.1:${d.port}/`]);
    t.same(soapAddress((await get(d.port, '/?wsdl', { Host: 'kiosk-3.shop.local:8080' })).body), ['http://kiosk-3.shop.local:8080/']);
    t.same(soapAddress((await get(d.port, '/?wsdl', { Host: '192.168.1.50' })).body), ['http://192.168.1.50/']);
    t.same(soapAddress((await get(d.port, '/?wsdl', { Host: '[fe80::1]:8080' })).body), ['http://[fe80::1]:8080/']);
  });

  t.test('a Host that is not host[:port] is not echoed into the WSDL', async (t) => {
    for (const host of ['evil.example/x?', 'a"><x y="', 'user@evil.example', 'h:99999999']) {
      const r = await get(d.port, '/?wsdl', { Host: host });
      t.equal(r.status, 200, host);
      t.same(soapAddress(r.body), [`http://localhost:${d.port}/`], `${host}: the unit's own address`);
      t.equal(xmllint(['--noout', '-'], r.body).code, 0, `${host}: still well-formed`);
    }
  });

  t.test('is the contract shape: SOAP 1.1, service pos, port pos, soapActions, no xs:import', async (t) => {
    const w = (await get(d.port, '/?wsdl')).body;
    t.match(w, /targetNamespace="http:\/\/www\.stampsoft\.ru\/pos"/);
    t.match(w, /<service name="pos">\s*<port name="pos" binding="tns:posSoapBinding">/);
    t.match(w, /soapAction="http:\/\/www\.stampsoft\.ru\/pos#pos:Pay"/);
    t.match(w, /soapAction="http:\/\/www\.stampsoft\.ru\/pos#pos:PayPoll"/);
    t.match(w, /xmlns:soap="http:\/\/schemas\.xmlsoap\.org\/wsdl\/soap\/"/, 'the SOAP 1.1 binding namespace');
    t.notMatch(w, /soap12/);
    t.notMatch(w, /<xs:import|<xs:include|schemaLocation/);
    t.match(w, /elementFormDefault="qualified"/);
  });

  t.test('its inline schema types are identical to the standalone pos.xsd', async (t) => {
    const inline = complexTypes((await get(d.port, '/?wsdl')).body);
    const standalone = complexTypes(readFileSync(XSD_FILE, 'utf8'));
    t.same(inline.schema, standalone.schema, 'same target namespace and elementFormDefault');
    t.same(standalone.schema, { targetNamespace: POS, elementFormDefault: 'qualified' });
    t.same(Object.keys(standalone.types).sort(), ['order', 'orderitem'], 'pos.xsd holds exactly the two types');
    t.same(inline.types.orderitem, standalone.types.orderitem, 'orderitem');
    t.same(inline.types.order, standalone.types.order, 'order');
    t.same(standalone.types.orderitem, [
      { kind: 'sequence' },
      { kind: 'element', name: 'id', type: `{${XS}}string` },
      { kind: 'element', name: 'name', type: `{${XS}}string` },
      { kind: 'element', name: 'count', type: `{${XS}}decimal` },
      { kind: 'element', name: 'cost', type: `{${XS}}int` },
    ]);
    t.same(standalone.types.order, [{ kind: 'sequence' }, { kind: 'element', name: 'orderitem', type: `{${POS}}orderitem`, minOccurs: '0', maxOccurs: 'unbounded' }]);
  });

  t.test('GET /pos.xsd serves the file', async (t) => {
    const r = await get(d.port, '/pos.xsd');
    t.equal(r.status, 200);
    t.equal(r.body, readFileSync(XSD_FILE, 'utf8'));
  });
});

t.test('with public_url configured, soap:address is that address whatever the Host', async (t) => {
  const d = await startDaemonProcess({ configText: '[api]\npublic_url = "http://kiosk-7.shop.local:8080/"\n' });
  t.teardown(() => d.stop());
  t.same(soapAddress((await get(d.port, '/?wsdl')).body), ['http://kiosk-7.shop.local:8080/']);
  t.same(soapAddress((await get(d.port, '/?wsdl', { Host: 'other:1' })).body), ['http://kiosk-7.shop.local:8080/']);
});

t.test('pos.xsd validates orders (xmllint --schema)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'paypoint-xsd-'));
  // pos.xsd has types only (1C imports it as an XDTO package); a root element of type pos:order is
  // declared by a wrapper in the same namespace that includes it.
  const wrapper = join(dir, 'order-root.xsd');
  writeFileSync(
    wrapper,
    `<xs:schema xmlns:xs="${XS}" xmlns:pos="${POS}" targetNamespace="${POS}" elementFormDefault="qualified">` +
      `<xs:include schemaLocation="${XSD_FILE}"/><xs:element name="order" type="pos:order"/></xs:schema>`,
  );
  const validate = (name: string, items: string): { code: number | null; out: string } => {
    const f = join(dir, `${name}.xml`);
    writeFileSync(f, `<?xml version="1.0" encoding="UTF-8"?><order xmlns="${POS}">${items}</order>`);
    return xmllint(['--noout', '--schema', wrapper, f]);
  };
  const item = (id: string, name: string, count: string, cost: string) => `<orderitem><id>${id}</id><name>${name}</name><count>${count}</count><cost>${cost}</cost></orderitem>`;

  const schemaItself = xmllint(['--noout', XSD_FILE]);
  t.equal(schemaItself.code, 0, `pos.xsd is well-formed: ${schemaItself.out}`);
  let r = validate('sample', item('4600000000001', 'Молоко', '1', '8990') + item('2', 'Сыр весовой', '0.375', '120000'));
  t.equal(r.code, 0, `a sample order validates: ${r.out}`);
  r = validate('empty', '');
  t.equal(r.code, 0, `an empty order validates: ${r.out}`);
  for (const [name, items] of [
    ['count-not-decimal', item('1', 'a', 'abc', '1')],
    ['cost-not-int', item('1', 'a', '1', '1.5')],
    ['cost-overflow', item('1', 'a', '1', '2147483648')],
    ['missing-cost', '<orderitem><id>1</id><name>a</name><count>1</count></orderitem>'],
    ['price-not-cost', '<orderitem><id>1</id><name>a</name><count>1</count><price>1</price></orderitem>'],
    ['out-of-order', '<orderitem><name>a</name><id>1</id><count>1</count><cost>1</cost></orderitem>'],
  ] as const) {
    r = validate(name, items);
    t.not(r.code, 0, `${name} is refused by the schema`);
  }
});
