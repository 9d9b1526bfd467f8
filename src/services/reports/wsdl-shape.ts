/**
 * Reads the parts of a WSDL that decide whether the Register messages the kiosk sends fit a server
 * (`paypoint processing check`), and which port is the SOAP 1.1 one (1C publishes two; node-soap binds the
 * last, SOAP 1.2, unless told: docs/design.md, "SOAP (node-soap)"). Namespaces are resolved, so `xs:int` and `xsd:int` are the same.
 */
import sax from 'sax';

export const WSDL_NS = 'http://schemas.xmlsoap.org/wsdl/';
export const SOAP11_BIND_NS = 'http://schemas.xmlsoap.org/wsdl/soap/';
export const SOAP12_BIND_NS = 'http://schemas.xmlsoap.org/wsdl/soap12/';
export const XS_NS = 'http://www.w3.org/2001/XMLSchema';

/** A name with its namespace, written `{ns}local`. */
export type QName = string;

export interface Particle {
  name: string;
  type: QName | null;
  minOccurs: string;
  maxOccurs: string;
  /** An anonymous complex type's sequence. */
  inline: Particle[] | null;
}

export interface SchemaInfo {
  targetNamespace: string;
  elementFormDefault: string;
  /** Top-level elements: their type or inline sequence. */
  elements: Map<string, { type: QName | null; inline: Particle[] | null }>;
  /** Named complex types: their sequence. */
  types: Map<string, Particle[]>;
}

export interface WsdlShape {
  targetNamespace: string;
  schemas: SchemaInfo[];
  bindings: Map<string, { soap: '1.1' | '1.2' | null; actions: Map<string, string> }>;
  services: Map<string, Array<{ name: string; binding: string; soap: '1.1' | '1.2' | null; location: string }>>;
}

interface Frame {
  name: string;
  ns: string;
  attrs: Record<string, string>;
  seq?: Particle[];
  particle?: Particle;
  resolve: (q: string) => QName;
}

/** Parses a WSDL text; throws on XML that is not well-formed. */
export function wsdlShape(text: string): WsdlShape {
  const shape: WsdlShape = { targetNamespace: '', schemas: [], bindings: new Map(), services: new Map() };
  const p = sax.parser(true, { xmlns: true, position: false });
  const stack: Frame[] = [];
  let schema: SchemaInfo | null = null;
  let binding: { name: string; info: { soap: '1.1' | '1.2' | null; actions: Map<string, string> } } | null = null;
  let bindingOp: string | null = null;
  let service: string | null = null;
  let port: { name: string; binding: string; soap: '1.1' | '1.2' | null; location: string } | null = null;
  let error: Error | null = null;

  p.onerror = (e) => {
    error ??= e;
    p.resume();
  };
  p.onopentag = (node) => {
    const tag = node as sax.QualifiedTag;
    const attrs: Record<string, string> = {};
    for (const [k, a] of Object.entries(tag.attributes)) attrs[k] = (a as sax.QualifiedAttribute).value;
    const ns = tag.uri;
    const local = tag.local;
    const resolve = (q: string): QName => {
      const i = q.indexOf(':');
      const prefix = i < 0 ? '' : q.slice(0, i);
      const uri = tag.ns[prefix] ?? '';
      return `{${uri}}${i < 0 ? q : q.slice(i + 1)}`;
    };
    const f: Frame = { name: local, ns, attrs, resolve };
    const parent = stack[stack.length - 1];
    stack.push(f);

    if (ns === WSDL_NS && local === 'definitions') shape.targetNamespace = attrs.targetNamespace ?? '';
    if (ns === XS_NS) {
      if (local === 'schema') {
        schema = { targetNamespace: attrs.targetNamespace ?? '', elementFormDefault: attrs.elementFormDefault ?? 'unqualified', elements: new Map(), types: new Map() };
        shape.schemas.push(schema);
      } else if (schema && local === 'element') {
        const particle: Particle = {
          name: attrs.name ?? attrs.ref ?? '',
          type: attrs.type ? resolve(attrs.type) : attrs.ref ? resolve(attrs.ref) : null,
          minOccurs: attrs.minOccurs ?? '1',
          maxOccurs: attrs.maxOccurs ?? '1',
          inline: null,
        };
        f.particle = particle;
        if (parent?.ns === XS_NS && parent.name === 'schema') {
          schema.elements.set(particle.name, { type: particle.type, inline: null });
        } else {
          const seq = nearestSeq(stack);
          seq?.push(particle);
        }
      } else if (schema && local === 'sequence') {
        f.seq = [];
        const owner = stack[stack.length - 3];
        const ct = stack[stack.length - 2];
        if (ct?.name === 'complexType') {
          if (ct.attrs.name && owner?.name === 'schema') schema.types.set(ct.attrs.name, f.seq);
          else if (owner?.particle) {
            owner.particle.inline = f.seq;
            if (stack[stack.length - 4]?.name === 'schema') schema.elements.set(owner.particle.name, { type: null, inline: f.seq });
          }
        }
      }
    }
    if (ns === WSDL_NS && local === 'binding') {
      binding = { name: attrs.name ?? '', info: { soap: null, actions: new Map() } };
      shape.bindings.set(binding.name, binding.info);
    } else if (binding && (ns === SOAP11_BIND_NS || ns === SOAP12_BIND_NS) && local === 'binding') {
      binding.info.soap = ns === SOAP11_BIND_NS ? '1.1' : '1.2';
    } else if (binding && ns === WSDL_NS && local === 'operation') {
      bindingOp = attrs.name ?? '';
    } else if (binding && bindingOp && (ns === SOAP11_BIND_NS || ns === SOAP12_BIND_NS) && local === 'operation') {
      binding.info.actions.set(bindingOp, attrs.soapAction ?? '');
    }
    if (ns === WSDL_NS && local === 'service') {
      service = attrs.name ?? '';
      shape.services.set(service, []);
    } else if (service !== null && ns === WSDL_NS && local === 'port') {
      const b = attrs.binding ? resolve(attrs.binding) : '';
      port = { name: attrs.name ?? '', binding: b.slice(b.indexOf('}') + 1), soap: null, location: '' };
      shape.services.get(service)!.push(port);
    } else if (port && (ns === SOAP11_BIND_NS || ns === SOAP12_BIND_NS) && local === 'address') {
      port.location = attrs.location ?? '';
    }
  };
  p.onclosetag = () => {
    const f = stack.pop();
    if (!f) return;
    if (f.ns === XS_NS && f.name === 'schema') schema = null;
    if (f.ns === WSDL_NS && f.name === 'binding') binding = null;
    if (f.ns === WSDL_NS && f.name === 'operation') bindingOp = null;
    if (f.ns === WSDL_NS && f.name === 'service') service = null;
    if (f.ns === WSDL_NS && f.name === 'port') port = null;
  };
  p.write(text).close();
  if (error) throw error;
  // A port's SOAP version is its binding's.
  for (const ports of shape.services.values()) for (const pt of ports) pt.soap = shape.bindings.get(pt.binding)?.soap ?? null;
  return shape;
}

function nearestSeq(stack: Frame[]): Particle[] | undefined {
  for (let i = stack.length - 2; i >= 0; i--) {
    if (stack[i].seq) return stack[i].seq;
    if (stack[i].name === 'element' || stack[i].name === 'schema') return undefined;
  }
  return undefined;
}

/** The SOAP 1.1 port of `service`, or null. */
export function soap11Port(shape: WsdlShape, service: string): string | null {
  return shape.services.get(service)?.find((p) => p.soap === '1.1')?.name ?? null;
}

function schemaFor(shape: WsdlShape, ns: string): SchemaInfo[] {
  return shape.schemas.filter((s) => s.targetNamespace === ns);
}

/** The sequence of a top-level element (inline type or named type), or null. */
export function elementSequence(shape: WsdlShape, ns: string, name: string): Particle[] | null {
  for (const s of schemaFor(shape, ns)) {
    const e = s.elements.get(name);
    if (!e) continue;
    if (e.inline) return e.inline;
    if (e.type) return typeSequence(shape, e.type);
  }
  return null;
}

/** The sequence of the named complex type `{ns}local`, or null. */
export function typeSequence(shape: WsdlShape, q: QName): Particle[] | null {
  const ns = q.slice(1, q.indexOf('}'));
  const local = q.slice(q.indexOf('}') + 1);
  for (const s of schemaFor(shape, ns)) {
    const t = s.types.get(local);
    if (t) return t;
  }
  return null;
}

export function formDefault(shape: WsdlShape, ns: string): string | null {
  return schemaFor(shape, ns)[0]?.elementFormDefault ?? null;
}
