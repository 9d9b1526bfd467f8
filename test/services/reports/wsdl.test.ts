/**
 * The shipped processing WSDL (1C's shape) and `processing check`'s comparison of a server's WSDL.
 */
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProcessingSchema } from '../../../src/config/schema.js';
import { processingCheck, compareWsdl } from '../../../src/services/reports/processing-check.js';
import { POS_NS, processingWsdl, processingWsdlTemplate } from '../../../src/services/reports/processing-wsdl.js';
import { soap11Port, typeSequence, wsdlShape } from '../../../src/services/reports/wsdl-shape.js';
import { REPO, tempDir } from '../../helpers/daemon.js';
import { startProcessingServer } from './processing-server.js';

const NS = 'http://www.stampsoft.ru/processing';

t.test('1C shape: two ports (SOAP 1.1 and 1.2), wrapped Register with return, pos types as in pos.xsd', async (t) => {
  const shape = wsdlShape(processingWsdlTemplate());
  const ports = shape.services.get('processing')!;
  t.same(ports.map((p) => [p.name, p.soap]), [['processingSoap', '1.1'], ['processingSoap12', '1.2']]);
  t.equal(soap11Port(shape, 'processing'), 'processingSoap');
  t.equal(shape.bindings.get('processingSoapBinding')!.actions.get('Register'), `${NS}#processing:Register`);
  const xsd = wsdlShape(`<definitions xmlns="http://schemas.xmlsoap.org/wsdl/"><types>${readFileSync(join(REPO, 'src/services/soap/wsdl/pos.xsd'), 'utf8').replace(/<\?xml[^>]*>/, '')}</types></definitions>`);
  for (const type of ['order', 'orderitem']) {
    t.same(typeSequence(shape, `{${POS_NS}}${type}`), typeSequence(xsd, `{${POS_NS}}${type}`), `pos:${type} identical to pos.xsd`);
  }
  t.end();
});

t.test('configured namespace and service name replace the defaults everywhere', async (t) => {
  const text = processingWsdl('urn:a&b', 'kiosk');
  t.notMatch(text.replace(/<!--[\s\S]*?-->/g, ''), /stampsoft\.ru\/processing|"processing/);
  const shape = wsdlShape(text);
  t.equal(shape.targetNamespace, 'urn:a&b');
  t.equal(soap11Port(shape, 'kiosk'), 'kioskSoap');
  t.same(compareWsdl(shape, { namespace: 'urn:a&b', service: 'kiosk' }).filter((l) => !l.ok), []);
  t.end();
});

t.test('compareWsdl finds what would break Register', async (t) => {
  const base = processingWsdlTemplate();
  const cfg = { namespace: NS, service: 'processing' };
  const fails = (text: string) => compareWsdl(wsdlShape(text), cfg).filter((l) => !l.ok).map((l) => l.text).join('\n');
  t.equal(fails(base), '');
  t.match(fails(base.replace('<xs:element name="uid" type="xs:string"/>\n            <xs:element name="amount" type="xs:int"/>', '<xs:element name="amount" type="xs:int"/>\n            <xs:element name="uid" type="xs:string"/>')), /expected element "uid"/);
  t.match(fails(base.replace('<xs:element name="pay_type" type="xs:int"/>', '<xs:element name="pay_type" type="xs:string"/>')), /pay_type: type/);
  t.match(fails(base.replace('<xs:element name="count" type="xs:decimal"/>', '<xs:element name="count" type="xs:int"/>')), /count: type/);
  t.match(fails(base.replace('<xs:element name="time" type="xs:int"/>', '<xs:element name="time" type="xs:int"/><xs:element name="shift" type="xs:int"/>')), /requires elements the kiosk does not send: shift/);
  t.equal(fails(base.replace('<xs:element name="time" type="xs:int"/>', '<xs:element name="time" type="xs:int"/><xs:element name="shift" type="xs:int" minOccurs="0"/>')), '', 'an optional extra element is fine');
  t.match(fails(base.replace(/targetNamespace="http:\/\/www.stampsoft.ru\/processing"/g, 'targetNamespace="urn:other"')), /target namespace/);
  t.match(fails(base.replace('<service name="processing">', '<service name="pos">')), /no service "processing"/);
  t.match(fails(base.replace(/<port name="processingSoap" [\s\S]*?<\/port>/, '')), /no SOAP 1.1 port/);
  t.end();
});

t.test('processing check against a server publishing the 1C-shaped WSDL (and one that does not fit)', async (t) => {
  const dir = tempDir();
  const good = join(dir, 'good.wsdl');
  const bad = join(dir, 'bad.wsdl');
  writeFileSync(good, processingWsdl(NS, 'processing'));
  writeFileSync(bad, processingWsdl(NS, 'processing').replace('<xs:element name="rest_amount" type="xs:int"/>', ''));
  for (const [file, want] of [[good, true], [bad, false]] as const) {
    const srv = await startProcessingServer({ wsdl: file, login: 'u', password: 'p' });
    const lines: string[] = [];
    const ok = await processingCheck(ProcessingSchema.parse({ url: srv.url, use_auth: true, login: 'u', password: 'p' }), (l) => lines.push(`${l.ok} ${l.text}`));
    t.equal(ok, want, lines.join('\n'));
    t.equal(srv.received().length, 0, 'no Register sent');
    const noAuth: string[] = [];
    t.equal(await processingCheck(ProcessingSchema.parse({ url: srv.url }), (l) => noAuth.push(l.text)), false);
    t.match(noAuth.join('\n'), /auth: HTTP 401/);
    await srv.stop();
  }
  const down: string[] = [];
  t.equal(await processingCheck(ProcessingSchema.parse({ url: 'http://127.0.0.1:1/' }), (l) => down.push(l.text)), false);
  t.match(down.join('\n'), /TCP connection to the server: failed/);
  t.end();
});
