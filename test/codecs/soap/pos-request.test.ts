/**
 * The strict reader of Pay/PayPoll requests (src/codecs/soap/pos-request.ts). Accepts what XML allows
 * and 1C sends (docs/design.md, "SOAP (node-soap)": prefixes, extra declarations on inner elements, whitespace, an agreeing
 * xsi:type); refuses what the schema forbids, each with its PayPointError code.
 */
import t from 'tap';
import { MAX_DEPTH, parsePosRequest, POS_NS, SOAP11_ENV, SOAP12_ENV, soapActionFor, type PosRequest } from '../../../src/codecs/soap/pos-request.js';
import { ErrorCode, PayPointError } from '../../../src/errors.js';

const XS = 'http://www.w3.org/2001/XMLSchema';
const XSI = 'http://www.w3.org/2001/XMLSchema-instance';
const DECL = `xmlns:xs="${XS}" xmlns:xsi="${XSI}"`;

function env(inner: string, opts: { prefix?: string; header?: string } = {}): string {
  const p = opts.prefix ?? 'soap';
  return `<?xml version="1.0" encoding="UTF-8"?><${p}:Envelope xmlns:${p}="${SOAP11_ENV}">${opts.header ?? ''}<${p}:Body>${inner}</${p}:Body></${p}:Envelope>`;
}
const poll = (uidXml: string) => env(`<p:PayPoll xmlns:p="${POS_NS}">${uidXml}</p:PayPoll>`);
const item = (id: string, name: string, count: string, cost: string) =>
  `<p:orderitem><p:id>${id}</p:id><p:name>${name}</p:name><p:count>${count}</p:count><p:cost>${cost}</p:cost></p:orderitem>`;
const pay = (inner: string) => env(`<p:Pay xmlns:p="${POS_NS}">${inner}</p:Pay>`);
const payOk = (uid = 'u1', amount = '100', items = '') => pay(`<p:uid>${uid}</p:uid><p:amount>${amount}</p:amount><p:order>${items}</p:order>`);

function parsed(body: string, action?: string): PosRequest {
  return parsePosRequest(body, action);
}

/** The PayPointError code a request is refused with; fails the test when it is accepted or throws something else. */
function code(body: string, action?: string): number {
  try {
    parsePosRequest(body, action);
  } catch (e) {
    if (e instanceof PayPointError) {
      if (/\n/.test(e.message)) throw new Error(`reason is not one line: ${JSON.stringify(e.message)}`);
      return e.code;
    }
    throw e;
  }
  throw new Error('request was accepted');
}

t.test('accepted: the plain forms', async (t) => {
  t.same(parsed(poll('<p:uid>abc</p:uid>')), { op: 'PayPoll', uid: 'abc' });
  t.same(parsed(payOk('u1', '100', item('1', 'Молоко', '1', '8990') + item('2', 'Сыр', '0.375', '120000'))), {
    op: 'Pay',
    uid: 'u1',
    amount: 100,
    order: [
      { id: '1', name: 'Молоко', count: '1', cost: 8990 },
      { id: '2', name: 'Сыр', count: '0.375', cost: 120000 },
    ],
  });
  t.same(parsed(payOk('u2', '5')), { op: 'Pay', uid: 'u2', amount: 5, order: [] }, 'an empty order');
});

t.test('accepted: any prefixes, the default namespace, a Header, the SOAP encodingStyle attribute', async (t) => {
  t.same(parsed(env(`<PayPoll xmlns="${POS_NS}"><uid>x</uid></PayPoll>`)), { op: 'PayPoll', uid: 'x' });
  t.same(parsed(env(`<ns1:PayPoll xmlns:ns1="${POS_NS}"><ns1:uid>x</ns1:uid></ns1:PayPoll>`, { prefix: 'SOAP-ENV' })), { op: 'PayPoll', uid: 'x' });
  t.same(parsed(`<Envelope xmlns="${SOAP11_ENV}"><Body><PayPoll xmlns="${POS_NS}"><uid>x</uid></PayPoll></Body></Envelope>`), { op: 'PayPoll', uid: 'x' });
  t.same(parsed(env(`<a:PayPoll xmlns:a="${POS_NS}"><b:uid xmlns:b="${POS_NS}">x</b:uid></a:PayPoll>`)), { op: 'PayPoll', uid: 'x' }, 'two prefixes bound to the same namespace');
  t.same(parsed(env(`<p:PayPoll xmlns:p="${POS_NS}"><p:uid>x</p:uid></p:PayPoll>`, { header: '<soap:Header><x:Trace xmlns:x="urn:x">1</x:Trace></soap:Header>' })), { op: 'PayPoll', uid: 'x' });
  t.same(parsed(env(`<p:PayPoll xmlns:p="${POS_NS}"><p:uid>x</p:uid></p:PayPoll>`, { header: '<soap:Header/>' })), { op: 'PayPoll', uid: 'x' });
  t.same(
    parsed(`<s:Envelope xmlns:s="${SOAP11_ENV}" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body><p:PayPoll xmlns:p="${POS_NS}"><p:uid>x</p:uid></p:PayPoll></s:Body></s:Envelope>`),
    { op: 'PayPoll', uid: 'x' },
  );
  t.same(parsed('\ufeff' + poll('<p:uid>x</p:uid>')), { op: 'PayPoll', uid: 'x' }, 'a UTF-8 BOM before the declaration');
  t.same(parsed(`\n  ${poll('<p:uid>x</p:uid>').replace(/^<\?xml[^>]*\?>/, '')}\n`), { op: 'PayPoll', uid: 'x' }, 'whitespace around the root, no declaration');
  t.same(parsed(poll('<!-- 1C --><p:uid>x</p:uid>')), { op: 'PayPoll', uid: 'x' }, 'a comment');
});

t.test('accepted: the extra declarations and xsi:type that 1C puts on inner elements', async (t) => {
  const body = pay(
    `<p:uid ${DECL} xsi:type="xs:string">u-1c</p:uid>` +
      `<p:amount ${DECL} xsi:type="xs:int">250</p:amount>` +
      `<p:order ${DECL} xsi:type="p:order">` +
      `<p:orderitem xsi:type="p:orderitem"><p:id xsi:type="xs:string">7</p:id><p:name>Хлеб</p:name><p:count xsi:type="xs:decimal">2</p:count><p:cost xsi:type="xs:int">125</p:cost></p:orderitem>` +
      `</p:order>`,
  );
  t.same(parsed(body), { op: 'Pay', uid: 'u-1c', amount: 250, order: [{ id: '7', name: 'Хлеб', count: '2', cost: 125 }] });
  // xsi:type is a QName: any prefix bound to the right namespace agrees, and so does the default namespace.
  t.same(parsed(poll(`<p:uid xmlns:xsd="${XS}" xmlns:i="${XSI}" i:type="xsd:string">x</p:uid>`)), { op: 'PayPoll', uid: 'x' });
  t.same(parsed(poll(`<p:uid xmlns="${XS}" xmlns:xsi="${XSI}" xsi:type="string">x</p:uid>`)), { op: 'PayPoll', uid: 'x' });
  t.same(parsed(poll(`<p:uid xml:lang="ru">x</p:uid>`)), { op: 'PayPoll', uid: 'x' }, 'xml:* attributes');
});

t.test('accepted: whitespace around ints and decimals; strings keep theirs', async (t) => {
  const r = parsed(payOk(' u 1 ', '\n  100\t', item(' 1 ', ' a ', '\n 0.5 ', '  60\n')));
  t.same(r, { op: 'Pay', uid: ' u 1 ', amount: 100, order: [{ id: ' 1 ', name: ' a ', count: '0.5', cost: 60 }] });
  t.same(parsed(env(`\n<p:PayPoll xmlns:p="${POS_NS}">\n  <p:uid>x</p:uid>\n</p:PayPoll>\n`)), { op: 'PayPoll', uid: 'x' }, 'indented');
});

t.test('accepted: entities, character references and CDATA are text of a string', async (t) => {
  t.same(parsed(poll('<p:uid>a&amp;b&#x41;&lt;&#1046;</p:uid>')), { op: 'PayPoll', uid: 'a&bA<Ж' });
  t.same(parsed(poll('<p:uid><![CDATA[<p:Pay><x/></p:Pay>]]></p:uid>')), { op: 'PayPoll', uid: '<p:Pay><x/></p:Pay>' });
  t.same(parsed(poll('<p:uid></p:uid>')), { op: 'PayPoll', uid: '' }, 'an empty uid is well-formed: PayPoll answers -1 for it, not a fault');
  t.same(parsed(poll('<p:uid/>')), { op: 'PayPoll', uid: '' });
});

t.test('accepted: SOAPAction naming the body operation, quoted or not, or empty', async (t) => {
  const b = poll('<p:uid>x</p:uid>');
  t.equal(parsed(b, `"${soapActionFor('PayPoll')}"`).op, 'PayPoll');
  t.equal(parsed(b, soapActionFor('PayPoll')).op, 'PayPoll');
  t.equal(parsed(b, '""').op, 'PayPoll');
  t.equal(parsed(b, '').op, 'PayPoll');
  t.equal(parsed(payOk(), `"${soapActionFor('Pay')}"`).op, 'Pay');
});

t.test('refused: SOAPAction naming the other or an unknown operation (node-soap would run the header\'s)', async (t) => {
  t.equal(code(poll('<p:uid>x</p:uid>'), `"${soapActionFor('Pay')}"`), ErrorCode.SoapActionMismatch);
  t.equal(code(payOk(), `"${soapActionFor('PayPoll')}"`), ErrorCode.SoapActionMismatch);
  t.equal(code(poll('<p:uid>x</p:uid>'), '"urn:Delete"'), ErrorCode.SoapActionMismatch);
  t.equal(code(poll('<p:uid>x</p:uid>'), `"${POS_NS}#pos:payPoll"`), ErrorCode.SoapActionMismatch, 'case matters');
});

t.test('refused: not XML, truncated, more than one root, text outside the root', async (t) => {
  t.equal(code(''), ErrorCode.SoapNotXml);
  t.equal(code('hello'), ErrorCode.SoapNotXml);
  t.equal(code('{"uid":"x"}'), ErrorCode.SoapNotXml);
  t.equal(code(poll('<p:uid>x</p:uid>').slice(0, -20)), ErrorCode.SoapNotXml, 'truncated');
  t.equal(code(poll('<p:uid>x</p:uid>') + '<again/>'), ErrorCode.SoapNotXml);
  t.equal(code(poll('<p:uid>x</p:uid>') + 'trailing'), ErrorCode.SoapNotXml);
  t.equal(code('leading' + poll('<p:uid>x</p:uid>').replace(/^<\?xml[^>]*\?>/, '')), ErrorCode.SoapNotXml);
  t.equal(code(poll('<p:uid>x&foo;</p:uid>')), ErrorCode.SoapNotXml, 'an undeclared entity');
  t.equal(code(poll('<p:uid>x</p:uidd>')), ErrorCode.SoapNotXml, 'mismatched close tag');
  t.equal(code(poll('<q:uid>x</q:uid>')), ErrorCode.SoapNotXml, 'unbound prefix');
  t.equal(code(poll('<?php echo 1; ?><p:uid>x</p:uid>')), ErrorCode.SoapNotXml, 'a processing instruction');
});

t.test('regression: an XML declaration after the start is not well-formed (it was taken as a harmless PI)', async (t) => {
  t.equal(code(poll('<?xml version="1.0"?><p:uid>x</p:uid>')), ErrorCode.SoapNotXml);
  t.equal(code(poll('<p:uid>x</p:uid>') + '<?xml version="1.0"?>'), ErrorCode.SoapNotXml);
});

t.test('refused: DTDs of any kind (XXE, billion laughs, internal subset)', async (t) => {
  const b = poll('<p:uid>x</p:uid>').replace(/^<\?xml[^>]*\?>/, '');
  t.equal(code(`<!DOCTYPE soap:Envelope>${b}`), ErrorCode.SoapDoctype);
  t.equal(code(`<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>${poll('<p:uid>&x;</p:uid>').replace(/^<\?xml[^>]*\?>/, '')}`), ErrorCode.SoapDoctype);
  const lol = '<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>';
  t.equal(code(lol + poll('<p:uid>&c;</p:uid>').replace(/^<\?xml[^>]*\?>/, '')), ErrorCode.SoapDoctype);
});

t.test('refused: not a SOAP 1.1 envelope', async (t) => {
  t.equal(code(`<soap:Envelope xmlns:soap="${SOAP12_ENV}"><soap:Body><p:PayPoll xmlns:p="${POS_NS}"><p:uid>x</p:uid></p:PayPoll></soap:Body></soap:Envelope>`), ErrorCode.SoapNotEnvelope, 'SOAP 1.2');
  t.equal(code(`<Envelope><Body><PayPoll xmlns="${POS_NS}"><uid>x</uid></PayPoll></Body></Envelope>`), ErrorCode.SoapNotEnvelope, 'no namespace');
  t.equal(code(`<p:PayPoll xmlns:p="${POS_NS}"><p:uid>x</p:uid></p:PayPoll>`), ErrorCode.SoapNotEnvelope, 'a bare operation');
  t.equal(code(`<soap:Envelope xmlns:soap="${SOAP11_ENV}"/>`), ErrorCode.SoapNotEnvelope, 'no Body');
  const two = `<soap:Envelope xmlns:soap="${SOAP11_ENV}"><soap:Body><p:PayPoll xmlns:p="${POS_NS}"><p:uid>x</p:uid></p:PayPoll></soap:Body><soap:Body><p:Pay xmlns:p="${POS_NS}"/></soap:Body></soap:Envelope>`;
  t.equal(code(two), ErrorCode.SoapNotEnvelope, 'two Bodies');
  t.equal(code(env('<p:PayPoll xmlns:p="x"/>').replace('<soap:Body>', '<soap:Body></soap:Body><soap:Header/><soap:Body>')), ErrorCode.SoapNotEnvelope, 'Header after Body');
  t.equal(code(env(`<p:PayPoll xmlns:p="${POS_NS}"><p:uid>x</p:uid></p:PayPoll>`).replace('<soap:Body>', '<soap:Other/><soap:Body>')), ErrorCode.SoapNotEnvelope);
  t.equal(code(env(`<p:PayPoll xmlns:p="${POS_NS}"><p:uid>x</p:uid></p:PayPoll>`).replace('<soap:Body>', 'text<soap:Body>')), ErrorCode.SoapNotEnvelope, 'text in Envelope');
  t.equal(code(env(`text<p:PayPoll xmlns:p="${POS_NS}"><p:uid>x</p:uid></p:PayPoll>`)), ErrorCode.SoapNotEnvelope, 'text in Body');
});

t.test('refused: a header entry that must be understood', async (t) => {
  const h = `<soap:Header><x:Tx xmlns:x="urn:x" soap:mustUnderstand="1">1</x:Tx></soap:Header>`;
  t.equal(code(env(`<p:PayPoll xmlns:p="${POS_NS}"><p:uid>x</p:uid></p:PayPoll>`, { header: h })), ErrorCode.SoapSchema);
});

t.test('refused: unknown or missing operation', async (t) => {
  t.equal(code(env(`<p:Refund xmlns:p="${POS_NS}"><p:uid>x</p:uid></p:Refund>`)), ErrorCode.SoapUnknownOperation);
  t.equal(code(env(`<p:PayPoll xmlns:p="urn:other"><p:uid>x</p:uid></p:PayPoll>`)), ErrorCode.SoapUnknownOperation, 'wrong namespace');
  t.equal(code(env(`<PayPoll><uid>x</uid></PayPoll>`)), ErrorCode.SoapUnknownOperation, 'no namespace');
  t.equal(code(env(`<p:payPoll xmlns:p="${POS_NS}"><p:uid>x</p:uid></p:payPoll>`)), ErrorCode.SoapUnknownOperation, 'case matters');
  t.equal(code(env('')), ErrorCode.SoapUnknownOperation, 'empty Body');
  t.equal(code(env(`<p:PayPollResponse xmlns:p="${POS_NS}"><p:return>0</p:return></p:PayPollResponse>`)), ErrorCode.SoapUnknownOperation, 'a response element');
  t.equal(code(env(`<p:Пay xmlns:p="${POS_NS}"/>`)), ErrorCode.SoapUnknownOperation, 'a Unicode name');
  t.equal(code(env(`<p:${'A'.repeat(5000)} xmlns:p="${POS_NS}"/>`)), ErrorCode.SoapUnknownOperation, 'an over-long name');
});

t.test('refused: two operations in the Body', async (t) => {
  t.equal(code(env(`<p:PayPoll xmlns:p="${POS_NS}"><p:uid>x</p:uid></p:PayPoll><p:PayPoll xmlns:p="${POS_NS}"><p:uid>y</p:uid></p:PayPoll>`)), ErrorCode.SoapSchema);
});

t.test('refused: values that are not of their schema type', async (t) => {
  t.equal(code(payOk('u', '12abc')), ErrorCode.SoapSchema);
  t.equal(code(payOk('u', '2147483648')), ErrorCode.SoapSchema, 'int overflow');
  t.equal(code(payOk('u', '-2147483649')), ErrorCode.SoapSchema);
  t.equal(code(payOk('u', '1.5')), ErrorCode.SoapSchema);
  t.equal(code(payOk('u', '')), ErrorCode.SoapSchema);
  t.equal(code(payOk('u', '100', item('1', 'a', '1x', '5'))), ErrorCode.SoapSchema, 'count');
  t.equal(code(payOk('u', '100', item('1', 'a', '1', '5.5'))), ErrorCode.SoapSchema, 'cost');
  t.equal(code(payOk('u', '100', item('1', 'a', '1', '99999999999'))), ErrorCode.SoapSchema);
  t.equal(code(poll('<p:uid><p:x>y</p:x></p:uid>')), ErrorCode.SoapSchema, 'elements inside a string');
  t.equal(code(pay('<p:uid>u</p:uid><p:amount>1</p:amount><p:order>text</p:order>')), ErrorCode.SoapSchema, 'text inside a complex type');
});

t.test('refused: wrong namespace, missing, duplicate, unknown and out-of-order elements', async (t) => {
  t.equal(code(env(`<p:PayPoll xmlns:p="${POS_NS}"><uid>x</uid></p:PayPoll>`)), ErrorCode.SoapSchema, 'unqualified child (elementFormDefault="qualified")');
  t.equal(code(env(`<p:PayPoll xmlns:p="${POS_NS}"><q:uid xmlns:q="urn:other">x</q:uid></p:PayPoll>`)), ErrorCode.SoapSchema);
  t.equal(code(poll('')), ErrorCode.SoapSchema, 'missing uid');
  t.equal(code(poll('<p:uid>x</p:uid><p:uid>y</p:uid>')), ErrorCode.SoapSchema, 'duplicate uid');
  t.equal(code(poll('<p:uid>x</p:uid><p:extra>1</p:extra>')), ErrorCode.SoapSchema, 'unknown element');
  t.equal(code(pay('<p:amount>1</p:amount><p:uid>u</p:uid><p:order/>')), ErrorCode.SoapSchema, 'out of order');
  t.equal(code(pay('<p:uid>u</p:uid><p:amount>1</p:amount>')), ErrorCode.SoapSchema, 'missing order');
  t.equal(code(pay('<p:uid>u</p:uid><p:amount>1</p:amount><p:amount>2</p:amount><p:order/>')), ErrorCode.SoapSchema, 'duplicate amount');
  t.equal(code(payOk('u', '1', '<p:orderitem><p:id>1</p:id><p:name>a</p:name><p:count>1</p:count></p:orderitem>')), ErrorCode.SoapSchema, 'orderitem without cost');
  t.equal(code(payOk('u', '1', '<p:orderitem><p:id>1</p:id><p:name>a</p:name><p:count>1</p:count><p:cost>1</p:cost><p:price>1</p:price></p:orderitem>')), ErrorCode.SoapSchema, 'orderitem with price');
  t.equal(code(payOk('u', '1', '<p:item/>')), ErrorCode.SoapSchema, 'unknown element in order');
});

t.test('refused: __proto__ and constructor as element names', async (t) => {
  t.equal(code(poll('<p:uid>x</p:uid><p:__proto__>y</p:__proto__>')), ErrorCode.SoapSchema);
  t.equal(code(poll('<p:__proto__>y</p:__proto__>')), ErrorCode.SoapSchema);
  t.equal(code(poll('<p:constructor>y</p:constructor>')), ErrorCode.SoapSchema);
  t.equal(code(payOk('u', '1', '<p:orderitem><p:id>1</p:id><p:name>a</p:name><p:count>1</p:count><p:cost>1</p:cost><p:__proto__/></p:orderitem>')), ErrorCode.SoapSchema);
  t.equal(code(env(`<p:__proto__ xmlns:p="${POS_NS}"/>`)), ErrorCode.SoapUnknownOperation);
  t.equal(code(env(`<p:constructor xmlns:p="${POS_NS}"/>`)), ErrorCode.SoapUnknownOperation);
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype untouched');
});

t.test('regression: an attribute named __proto__ was silently accepted (sax stores it as the prototype)', async (t) => {
  t.equal(code(poll('<p:uid __proto__="x">y</p:uid>')), ErrorCode.SoapSchema);
  t.equal(code(env(`<p:PayPoll xmlns:p="${POS_NS}" __proto__="x"><p:uid>y</p:uid></p:PayPoll>`)), ErrorCode.SoapSchema);
  t.equal(code(env(`<p:PayPoll xmlns:p="${POS_NS}"><p:uid>y</p:uid></p:PayPoll>`).replace('<soap:Body>', '<soap:Body __proto__="x">')), ErrorCode.SoapSchema);
  t.equal(code(poll(`<p:uid xmlns:xsi="${XSI}" xsi:__proto__="x">y</p:uid>`)), ErrorCode.SoapSchema);
  t.equal(code(env(`<__proto__:PayPoll xmlns:__proto__="${POS_NS}"><__proto__:uid>y</__proto__:uid></__proto__:PayPoll>`)) >= 200, true, 'a __proto__ prefix is refused too');
});

t.test('refused: attributes the schema does not allow, xsi:nil, disagreeing xsi:type', async (t) => {
  t.equal(code(poll('<p:uid foo="1">x</p:uid>')), ErrorCode.SoapSchema);
  t.equal(code(poll(`<p:uid xmlns:xsi="${XSI}" xsi:nil="true"/>`)), ErrorCode.SoapSchema, 'xsi:nil: nothing is nillable');
  t.equal(code(pay(`<p:uid>u</p:uid><p:amount xmlns:xsi="${XSI}" xsi:nil="true"/><p:order/>`)), ErrorCode.SoapSchema, 'xsi:nil on an int');
  t.equal(code(poll(`<p:uid ${DECL} xsi:type="xs:int">1</p:uid>`)), ErrorCode.SoapSchema, 'xs:int on a string');
  t.equal(code(poll(`<p:uid ${DECL} xsi:type="xs:anyType">1</p:uid>`)), ErrorCode.SoapSchema);
  t.equal(code(poll(`<p:uid xmlns:xsi="${XSI}" xsi:type="xs:string">1</p:uid>`)), ErrorCode.SoapSchema, 'xsi:type with an unbound prefix');
  t.equal(code(poll(`<p:uid xmlns:xs="urn:not-schema" xmlns:xsi="${XSI}" xsi:type="xs:string">1</p:uid>`)), ErrorCode.SoapSchema, 'prefix bound elsewhere');
  t.equal(code(poll(`<p:uid xmlns:xsi="${XSI}" xsi:type="constructor:string">1</p:uid>`)), ErrorCode.SoapSchema);
  t.equal(code(poll(`<p:uid xmlns:xsi="${XSI}" xsi:schemaLocation="urn:x http://evil/x.xsd">1</p:uid>`)), ErrorCode.SoapSchema);
  t.equal(code(env(`<p:PayPoll xmlns:p="${POS_NS}" ${DECL} xsi:type="xs:string"><p:uid>1</p:uid></p:PayPoll>`)), ErrorCode.SoapSchema, 'xsi:type on the operation');
});

t.test('refused: nesting deeper than the schema can use, in Body or Header', async (t) => {
  const deep = (n: number) => '<p:x>'.repeat(n) + '</p:x>'.repeat(n);
  t.equal(code(poll(`<p:uid>${deep(1000)}</p:uid>`)), ErrorCode.SoapTooDeep);
  t.equal(code(env(`<p:PayPoll xmlns:p="${POS_NS}"><p:uid>x</p:uid></p:PayPoll>`, { header: `<soap:Header><p:h xmlns:p="urn:x">${deep(1000)}</p:h></soap:Header>` })), ErrorCode.SoapTooDeep);
  // The deepest legal element (Envelope/Body/Pay/order/orderitem/id) is depth 6, far under the cap.
  t.ok(MAX_DEPTH >= 6);
});

t.test('namespace scopes, resolved by the reader itself (Namespaces in XML, as sax applied them)', async (t) => {
  // A prefix declared on an element holds inside it and for its attributes, and no further.
  t.same(parsed(pay(`<x:uid xmlns:x="${POS_NS}">u</x:uid><p:amount>1</p:amount><p:order/>`)), { op: 'Pay', uid: 'u', amount: 1, order: [] }, 'inner declaration');
  t.equal(code(pay(`<x:uid xmlns:x="${POS_NS}">u</x:uid><x:amount>1</x:amount><p:order/>`)), ErrorCode.SoapNotXml, 'a prefix used after the element that declared it');
  // The default namespace applies to elements, a redeclared prefix shadows the outer one.
  t.same(parsed(poll(`<uid xmlns="${POS_NS}">u</uid>`)), { op: 'PayPoll', uid: 'u' }, 'default namespace');
  t.equal(code(poll(`<p:uid xmlns:p="urn:other">u</p:uid>`)), ErrorCode.SoapSchema, 'shadowed prefix: another namespace');
  t.equal(code(poll(`<p:uid xmlns:p="">u</p:uid>`)), ErrorCode.SoapNotXml, 'a prefix bound to "" is unbound');
  // xml and xmlns are bound once and for all; an unbound attribute prefix is not well-formed.
  t.equal(code(poll(`<p:uid xmlns:xml="urn:x">u</p:uid>`)), ErrorCode.SoapNotXml, 'xml rebound');
  t.equal(code(poll(`<p:uid xmlns:xmlns="urn:x">u</p:uid>`)), ErrorCode.SoapNotXml, 'xmlns rebound');
  t.same(parsed(poll(`<p:uid xml:lang="ru">u</p:uid>`)), { op: 'PayPoll', uid: 'u' }, 'xml:lang: the xml prefix needs no declaration');
  t.equal(code(poll(`<p:uid q:a="1">u</p:uid>`)), ErrorCode.SoapNotXml, 'unbound attribute prefix');
  // The default namespace does not apply to attributes: an unprefixed attribute is in no namespace.
  t.equal(code(poll(`<uid xmlns="${POS_NS}" type="x">u</uid>`)), ErrorCode.SoapSchema, 'unprefixed attribute');
});
