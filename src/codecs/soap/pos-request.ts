/**
 * The strict reader of requests to the kiosk's SOAP service (contract 1; docs/design.md). Pure: bytes
 * and the SOAPAction header in, a typed request or a PayPointError (always a soap:Client fault) out.
 * It enforces what node-soap does not (docs/design.md, "SOAP (node-soap)"): no DTD, SOAP 1.1 envelope only, exactly the
 * schema's elements in the schema's order and namespace, lexically valid values, SOAPAction agreeing
 * with the body. It accepts what XML allows and 1C sends: any prefixes, extra namespace declarations on
 * inner elements, whitespace, and an xsi:type that names the declared type.
 */
import sax from 'sax';
import { ErrorCode, PayPointError } from '../../errors.js';
import type { OrderItem } from '../../base/types.js';
import { parseSimple, type SimpleType } from './xml-schema-types.js';

export const SOAP11_ENV = 'http://schemas.xmlsoap.org/soap/envelope/';
export const SOAP12_ENV = 'http://www.w3.org/2003/05/soap-envelope';
export const POS_NS = 'http://www.stampsoft.ru/pos';
const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';
const XS_NS = 'http://www.w3.org/2001/XMLSchema';
const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';
const XML_NS = 'http://www.w3.org/XML/1998/namespace';

export const MAX_DEPTH = 16;
export const MAX_ELEMENTS = 20_000;

export type PosOperation = 'Pay' | 'PayPoll';

export type PosRequest = { op: 'Pay'; uid: string; amount: number; order: OrderItem[] } | { op: 'PayPoll'; uid: string };

export function soapActionFor(op: PosOperation): string {
  return `${POS_NS}#pos:${op}`;
}

/** Content model of the schema (pos.wsdl): a sequence of children, or a simple type. */
interface ElementDecl {
  type: SimpleType | 'complex';
  /** xsi:type names accepted on this element (namespace URI + local name). */
  xsiType?: { ns: string; local: string };
  children?: ChildDecl[];
}
interface ChildDecl {
  name: string;
  decl: ElementDecl;
  min: number;
  max: number;
}

const str: ElementDecl = { type: 'string', xsiType: { ns: XS_NS, local: 'string' } };
const int: ElementDecl = { type: 'int', xsiType: { ns: XS_NS, local: 'int' } };
const dec: ElementDecl = { type: 'decimal', xsiType: { ns: XS_NS, local: 'decimal' } };
const orderitem: ElementDecl = {
  type: 'complex',
  xsiType: { ns: POS_NS, local: 'orderitem' },
  children: [
    { name: 'id', decl: str, min: 1, max: 1 },
    { name: 'name', decl: str, min: 1, max: 1 },
    { name: 'count', decl: dec, min: 1, max: 1 },
    { name: 'cost', decl: int, min: 1, max: 1 },
  ],
};
const order: ElementDecl = {
  type: 'complex',
  xsiType: { ns: POS_NS, local: 'order' },
  children: [{ name: 'orderitem', decl: orderitem, min: 0, max: Number.POSITIVE_INFINITY }],
};
const OPERATIONS: Record<PosOperation, ElementDecl> = {
  Pay: {
    type: 'complex',
    children: [
      { name: 'uid', decl: str, min: 1, max: 1 },
      { name: 'amount', decl: int, min: 1, max: 1 },
      { name: 'order', decl: order, min: 1, max: 1 },
    ],
  },
  PayPoll: { type: 'complex', children: [{ name: 'uid', decl: str, min: 1, max: 1 }] },
};

/**
 * Namespaces are resolved here, not by sax: its xmlns mode gives every element that declares a prefix
 * an `Object.create(parent.ns)` scope, and each such object becomes a prototype, for which V8 makes
 * new maps directly in the old generation. That was about 2.4 KiB of old-space garbage per Pay (every
 * SOAP request declares its prefixes), freed only by a full collection: under load the daemon's heap
 * grew by tens of MiB between them (bench/README.md, "Where memory goes"). The rules are sax's (and the
 * Namespaces in XML recommendation's): `xml` and `xmlns` are bound and cannot be rebound elsewhere, a
 * default namespace applies to elements and not to attributes, and a prefix bound to "" is unbound.
 */
interface Scope {
  parent: Scope | null;
  /** prefix -> namespace URI declared on one element ('' is the default namespace). */
  bound: Map<string, string>;
}
const ROOT_SCOPE: Scope = {
  parent: null,
  bound: new Map([
    ['xml', XML_NS],
    ['xmlns', XMLNS_NS],
  ]),
};
function lookup(scope: Scope, prefix: string): string | undefined {
  for (let s: Scope | null = scope; s; s = s.parent) {
    const uri = s.bound.get(prefix);
    if (uri !== undefined) return uri;
  }
  return undefined;
}
/** sax's split of a qualified name (its `qname`): the attribute `xmlns` is the prefix xmlns. */
function qname(name: string, attribute: boolean): { prefix: string; local: string } {
  if (attribute && name === 'xmlns') return { prefix: 'xmlns', local: '' };
  const colon = name.indexOf(':');
  if (colon < 0) return { prefix: '', local: name };
  // split(':') without the array: the local part ends at a second colon, as sax's split did.
  const second = name.indexOf(':', colon + 1);
  return { prefix: name.slice(0, colon), local: second < 0 ? name.slice(colon + 1) : name.slice(colon + 1, second) };
}
interface QAttr {
  name: string;
  value: string;
  prefix: string;
  local: string;
  uri: string;
}
/** An element with its name resolved: what sax's xmlns mode reported, from our own scope. */
interface QTag {
  local: string;
  uri: string;
  attributes: QAttr[];
  scope: Scope;
}
const NO_ATTRS: Array<{ name: string; value: string }> = [];

/** A parsed element of the request's body, as the schema walk needs it. */
interface Node {
  name: string;
  children: Node[];
  text: string;
  hasElementChildren: boolean;
  /** Element path for error messages: Pay/order/orderitem[2]/cost */
  path: string;
}

function fault(code: (typeof ErrorCode)[keyof typeof ErrorCode], reason: string, context: Record<string, unknown> = {}): PayPointError {
  return new PayPointError(code, reason, context);
}

const PLAIN_NAME = /^[\x20-\x7e]{0,40}$/;
/** One line, printable, bounded: reasons go into faultstring and logs. */
function shown(name: string): string {
  if (PLAIN_NAME.test(name)) return name; // every element path is built with it: the common case without a copy
  const s = name.length > 40 ? name.slice(0, 40) + '…' : name;
  return s.replace(/[^\x20-\x7e]/g, '?');
}

/**
 * Parses and checks a request. `soapAction` is the raw SOAPAction header (undefined when absent).
 * Throws PayPointError with a 2xx code on anything the contract calls malformed.
 */
export function parsePosRequest(body: string, soapAction: string | undefined): PosRequest {
  const parser = sax.parser(true, { xmlns: false, position: false, trim: false, normalize: false });
  let depth = 0;
  let elements = 0;
  let sawRoot = false;
  let rootClosed = false;
  let error: PayPointError | null = null;
  // Envelope-level state
  let inBody = false;
  let bodySeen = false;
  let headerSeen = false;
  let opNode: Node | null = null;
  const stack: Node[] = [];
  let envChildIndex = 0;

  const fail = (e: PayPointError): void => {
    if (!error) error = e;
    throw e; // stops sax
  };

  // The XML declaration may only open the document (XML 1.0 §2.8); sax reports it as a PI wherever it is.
  let xmlDeclAllowed = /^\ufeff?<\?xml[\s?]/.test(body);
  parser.ondoctype = () => fail(fault(ErrorCode.SoapDoctype, 'DTD not allowed'));
  parser.onprocessinginstruction = (pi) => {
    if (pi.name.toLowerCase() !== 'xml' || !xmlDeclAllowed) fail(fault(ErrorCode.SoapNotXml, 'processing instructions not allowed'));
    xmlDeclAllowed = false;
  };
  parser.oncomment = () => {
    xmlDeclAllowed = false;
  };
  // The element's attributes in document order (sax reports each before its element; it drops a
  // repeated one). Resolved with the element in onopentag, as sax's xmlns mode did.
  let attrs: Array<{ name: string; value: string }> = NO_ATTRS;
  parser.onattribute = (a) => {
    if (attrs === NO_ATTRS) attrs = [];
    attrs.push(a);
  };
  const scopes: Scope[] = [ROOT_SCOPE];
  parser.onopentag = (tag) => {
    const t = resolve(tag.name, attrs, scopes[scopes.length - 1], fail);
    attrs = NO_ATTRS;
    scopes.push(t.scope);
    xmlDeclAllowed = false;
    depth++;
    elements++;
    if (depth > MAX_DEPTH) fail(fault(ErrorCode.SoapTooDeep, `nesting deeper than ${MAX_DEPTH}`));
    if (elements > MAX_ELEMENTS) fail(fault(ErrorCode.SoapTooDeep, `more than ${MAX_ELEMENTS} elements`));
    if (depth === 1) {
      if (sawRoot) fail(fault(ErrorCode.SoapNotXml, 'more than one root element'));
      sawRoot = true;
      if (t.local === 'Envelope' && t.uri === SOAP12_ENV) fail(fault(ErrorCode.SoapNotEnvelope, 'SOAP 1.2 envelope: this service speaks SOAP 1.1'));
      if (t.local !== 'Envelope' || t.uri !== SOAP11_ENV) fail(fault(ErrorCode.SoapNotEnvelope, 'not a SOAP 1.1 envelope'));
      checkAttributes(t, null, fail);
      return;
    }
    if (depth === 2) {
      envChildIndex++;
      if (t.uri !== SOAP11_ENV || (t.local !== 'Header' && t.local !== 'Body')) fail(fault(ErrorCode.SoapNotEnvelope, `unexpected element ${shown(t.local)} in Envelope`));
      if (t.local === 'Header') {
        if (headerSeen || bodySeen || envChildIndex !== 1) fail(fault(ErrorCode.SoapNotEnvelope, 'Header must come once, before Body'));
        headerSeen = true;
      } else {
        if (bodySeen) fail(fault(ErrorCode.SoapNotEnvelope, 'more than one Body'));
        bodySeen = true;
        inBody = true;
      }
      checkAttributes(t, null, fail);
      return;
    }
    if (!inBody) {
      // Header entries: none is understood here, so one marked mustUnderstand is refused (SOAP 1.1 §4.2.3).
      if (depth === 3) {
        const mu = t.attributes.find((a) => a.uri === SOAP11_ENV && a.local === 'mustUnderstand');
        if (mu && (mu.value.trim() === '1' || mu.value.trim() === 'true')) fail(fault(ErrorCode.SoapSchema, `header ${shown(t.local)} must be understood and is not`));
      }
      return;
    }
    if (depth === 3) {
      if (opNode) fail(fault(ErrorCode.SoapSchema, 'Body holds more than one element'));
      if (t.uri !== POS_NS) fail(fault(ErrorCode.SoapUnknownOperation, `unknown operation {${shown(t.uri)}}${shown(t.local)}`));
      if (t.local !== 'Pay' && t.local !== 'PayPoll') fail(fault(ErrorCode.SoapUnknownOperation, `unknown operation ${shown(t.local)}`));
      checkAttributes(t, null, fail);
      opNode = { name: t.local, children: [], text: '', hasElementChildren: false, path: t.local };
      stack.push(opNode);
      return;
    }
    // depth >= 4: inside the operation element; elementFormDefault="qualified" puts every one in POS_NS.
    const parent = stack[stack.length - 1];
    if (t.uri !== POS_NS) fail(fault(ErrorCode.SoapSchema, `element ${shown(t.local)} in ${parent.path} is not in namespace ${POS_NS}`));
    const node: Node = { name: t.local, children: [], text: '', hasElementChildren: false, path: `${parent.path}/${shown(t.local)}` };
    (node as Node & { tag: QTag }).tag = t;
    parent.hasElementChildren = true;
    parent.children.push(node);
    stack.push(node);
  };
  parser.onclosetag = () => {
    scopes.pop();
    if (inBody && depth >= 3) stack.pop();
    if (depth === 2 && inBody) inBody = false;
    depth--;
    if (depth === 0) rootClosed = true;
  };
  const onText = (text: string): void => {
    if (depth === 0) {
      if (text.trim() !== '') fail(fault(ErrorCode.SoapNotXml, 'text outside the root element'));
      return;
    }
    if (inBody && depth >= 3) {
      stack[stack.length - 1].text += text;
    } else if (text.trim() !== '' && (depth <= 2 || inBody)) {
      fail(fault(ErrorCode.SoapNotEnvelope, 'text where the envelope allows none'));
    }
  };
  parser.ontext = onText;
  parser.oncdata = onText;
  parser.onerror = (e) => {
    fail(fault(ErrorCode.SoapNotXml, `not well-formed XML: ${e.message.split('\n')[0]}`));
  };

  try {
    parser.write(body).close();
  } catch (e) {
    if (error) throw error;
    if (e instanceof PayPointError) throw e;
    throw fault(ErrorCode.SoapNotXml, `not well-formed XML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!sawRoot || !rootClosed) throw fault(ErrorCode.SoapNotXml, 'no complete XML document');
  if (!bodySeen) throw fault(ErrorCode.SoapNotEnvelope, 'Envelope has no Body');
  if (!opNode) throw fault(ErrorCode.SoapUnknownOperation, 'Body holds no operation');
  const op = (opNode as Node).name as PosOperation;

  if (soapAction !== undefined) {
    const action = soapAction.trim().replace(/^"(.*)"$/, '$1');
    if (action !== '' && action !== soapActionFor(op)) {
      throw fault(ErrorCode.SoapActionMismatch, `SOAPAction "${shown(action)}" does not name the body's operation ${op}`);
    }
  }

  const values = walk(opNode as Node, OPERATIONS[op]);
  if (op === 'Pay') {
    const orderNode = values.get('order') as Map<string, unknown>;
    const items = (orderNode.get('orderitem') as Array<Map<string, unknown>> | undefined) ?? [];
    return {
      op,
      uid: values.get('uid') as string,
      amount: values.get('amount') as number,
      order: items.map((m) => ({ id: m.get('id') as string, name: m.get('name') as string, count: m.get('count') as string, cost: m.get('cost') as number })),
    };
  }
  return { op, uid: values.get('uid') as string };
}

/**
 * Resolves an element's name and attributes in the scope of its parent, in sax's xmlns order: the
 * bindings it declares (xml and xmlns may not be rebound), the element's prefix, then each attribute's
 * (the default namespace does not apply to attributes). An unbound prefix is not well-formed.
 */
function resolve(name: string, raw: Array<{ name: string; value: string }>, parent: Scope, fail: (e: PayPointError) => void): QTag {
  const notXml = (why: string) => fail(fault(ErrorCode.SoapNotXml, `not well-formed XML: ${why}`));
  let scope = parent;
  for (const a of raw) {
    const { prefix, local } = qname(a.name, true);
    if (prefix !== 'xmlns') continue;
    if (local === 'xml' && a.value !== XML_NS) notXml(`xml: prefix must be bound to ${XML_NS}`);
    else if (local === 'xmlns' && a.value !== XMLNS_NS) notXml(`xmlns: prefix must be bound to ${XMLNS_NS}`);
    else {
      if (scope === parent) scope = { parent, bound: new Map() };
      scope.bound.set(local, a.value);
    }
  }
  const qn = qname(name, false);
  const uri = lookup(scope, qn.prefix) || '';
  if (qn.prefix && !uri) notXml(`Unbound namespace prefix: ${JSON.stringify(name)}`);
  const attributes: QAttr[] = [];
  for (const a of raw) {
    const { prefix, local } = qname(a.name, true);
    const auri = prefix === '' ? '' : lookup(scope, prefix) || '';
    if (prefix && prefix !== 'xmlns' && !auri) notXml(`Unbound namespace prefix: ${JSON.stringify(prefix)}`);
    // Refused as sax's xmlns mode reported it (a plain object of attributes would have taken it as its prototype).
    if (a.name === '__proto__' || local === '__proto__') fail(fault(ErrorCode.SoapSchema, 'attribute __proto__ not allowed'));
    attributes.push({ name: a.name, value: a.value, prefix, local, uri: auri });
  }
  return { local: qn.local, uri, attributes, scope };
}

/**
 * Only namespace declarations, xml:* and (inside the operation) an agreeing xsi:type are allowed;
 * xsi:nil is refused because no element of the schema is nillable.
 */
function checkAttributes(t: QTag, decl: ElementDecl | null, fail: (e: PayPointError) => void): void {
  for (const a of t.attributes) {
    if (a.uri === XMLNS_NS || a.name === 'xmlns' || a.prefix === 'xmlns') continue;
    if (a.uri === XML_NS) continue;
    if (decl === null && a.uri === SOAP11_ENV && a.local === 'encodingStyle') continue;
    if (decl !== null && a.uri === XSI_NS && a.local === 'type') {
      const [prefix, local] = a.value.trim().includes(':') ? a.value.trim().split(':', 2) : ['', a.value.trim()];
      const ns = lookup(t.scope, prefix);
      if (decl.xsiType && ns === decl.xsiType.ns && local === decl.xsiType.local) continue;
      fail(fault(ErrorCode.SoapSchema, `xsi:type "${shown(a.value)}" disagrees with the schema on ${shown(t.local)}`));
    }
    fail(fault(ErrorCode.SoapSchema, `attribute ${shown(a.name)} not allowed on ${shown(t.local)}`));
  }
}

/** Walks a node against its declaration; returns child name -> value (or list for max > 1). */
function walk(node: Node, decl: ElementDecl): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const kids = decl.children ?? [];
  if (node.text.trim() !== '') throw fault(ErrorCode.SoapSchema, `${node.path} holds text where elements are expected`);
  let i = 0;
  for (const child of kids) {
    const found: unknown[] = [];
    while (i < node.children.length && node.children[i].name === child.name && found.length < child.max) {
      const c = node.children[i];
      const tag = (c as Node & { tag: QTag }).tag;
      checkAttributes(tag, child.decl, (e) => {
        throw e;
      });
      if (child.max > 1) c.path = `${node.path}/${child.name}[${found.length + 1}]`;
      if (child.decl.type === 'complex') {
        found.push(walk(c, child.decl));
      } else {
        if (c.hasElementChildren) throw fault(ErrorCode.SoapSchema, `${c.path} must hold a value, not elements`);
        const v = parseSimple(child.decl.type, c.text);
        if (!v.ok) throw fault(ErrorCode.SoapSchema, `${c.path}: ${v.reason}`);
        found.push(v.value);
      }
      i++;
    }
    if (found.length < child.min) {
      const next = node.children[i];
      throw fault(
        ErrorCode.SoapSchema,
        next ? `${node.path}: expected ${child.name}, found ${shown(next.name)}` : `${node.path}: missing ${child.name}`,
      );
    }
    out.set(child.name, child.max > 1 ? found : found[0]);
  }
  if (i < node.children.length) {
    const extra = node.children[i];
    const dup = kids.some((k) => k.name === extra.name);
    throw fault(ErrorCode.SoapSchema, dup ? `${node.path}: ${shown(extra.name)} repeated or out of order` : `${node.path}: unknown element ${shown(extra.name)}`);
  }
  return out;
}
