/**
 * `paypoint processing check` (docs/contract.md, "3. The report"): fetches the processing server's own WSDL with the
 * configured credentials, says whether it fits what the daemon sends, and tests the connection without
 * sending a report. Nothing reaches 1C's data: a TCP connect and one GET of the WSDL.
 */
import type { Config } from '../../config/schema.js';
import { CurlHttpClient, TransportError } from './http-client.js';
import { classifyHttp, oneLine } from './outcome.js';
import { endpointOf, POS_NS, processingWsdl, registerSoapAction } from './processing-wsdl.js';
import { RegisterClient } from './register-client.js';
import { elementSequence, formDefault, soap11Port, typeSequence, wsdlShape, type Particle, type WsdlShape } from './wsdl-shape.js';

export interface CheckLine {
  ok: boolean;
  /** A warning does not make the check fail. */
  warning?: boolean;
  text: string;
}

/** Compares the server's WSDL with the shipped one (both for the configured namespace and service). */
export function compareWsdl(server: WsdlShape, cfg: Pick<Config['processing'], 'namespace' | 'service'>): CheckLine[] {
  const ours = wsdlShape(processingWsdl(cfg.namespace, cfg.service));
  const out: CheckLine[] = [];
  const ports = server.services.get(cfg.service);
  if (!ports) {
    out.push({ ok: false, text: `no service "${cfg.service}" in the server's WSDL (it has: ${[...server.services.keys()].join(', ') || 'none'}): set processing.service` });
    return out;
  }
  const port = soap11Port(server, cfg.service);
  out.push(port ? { ok: true, text: `service "${cfg.service}", SOAP 1.1 port "${port}"` } : { ok: false, text: `service "${cfg.service}" has no SOAP 1.1 port` });
  if (server.targetNamespace !== cfg.namespace) {
    out.push({ ok: false, text: `target namespace is "${server.targetNamespace}", configured "${cfg.namespace}": set processing.namespace` });
  }
  const mine = elementSequence(ours, cfg.namespace, 'Register')!;
  const theirs = elementSequence(server, cfg.namespace, 'Register');
  if (!theirs) out.push({ ok: false, text: `no Register element in namespace "${cfg.namespace}"` });
  else out.push(...compareSequence('Register', mine, theirs, ours, server));
  const respMine = elementSequence(ours, cfg.namespace, 'RegisterResponse')!;
  const respTheirs = elementSequence(server, cfg.namespace, 'RegisterResponse');
  if (!respTheirs) out.push({ ok: false, text: 'no RegisterResponse element' });
  else {
    const r = respTheirs.find((p) => p.name === 'return');
    out.push(r && r.type === respMine[0].type ? { ok: true, text: 'RegisterResponse/return is xs:boolean' } : { ok: false, text: `RegisterResponse/return is ${r?.type ?? 'missing'}, expected xs:boolean` });
  }
  for (const ns of [cfg.namespace, POS_NS]) {
    const f = formDefault(server, ns);
    if (f !== null && f !== 'qualified') out.push({ ok: false, text: `schema ${ns} has elementFormDefault="${f}"; the kiosk sends qualified elements` });
  }
  if (port) {
    const binding = server.services.get(cfg.service)!.find((p) => p.name === port)!.binding;
    const action = server.bindings.get(binding)?.actions.get('Register');
    const want = registerSoapAction(cfg.namespace, cfg.service);
    if (action !== undefined && action !== want) out.push({ ok: true, warning: true, text: `soapAction of Register is "${action}", the kiosk sends "${want}" (1C dispatches on the body; other servers may not)` });
  }
  return out;
}

const local = (q: string | null) => (q ? q.slice(q.indexOf('}') + 1) : 'none');

const XS = '{http://www.w3.org/2001/XMLSchema}';
/**
 * XML Schema 1.0 part 2, 3.3 (built-in derived types): int is derived from long, long from integer,
 * integer from decimal. Every xs:int the kiosk sends is a valid value of a server element declared with
 * one of those wider types, so such a server accepts the report (a 1C administrator may pick "integer").
 */
const WIDER_THAN_INT = new Set([`${XS}long`, `${XS}integer`, `${XS}decimal`]);
function widens(mine: string | null, theirs: string | null): boolean {
  return mine === `${XS}int` && theirs !== null && WIDER_THAN_INT.has(theirs);
}

/** Our elements, in order, must be the server's, with the same types; extra server elements must be optional. */
function compareSequence(what: string, mine: Particle[], theirs: Particle[], ours: WsdlShape, server: WsdlShape, depth = 0): CheckLine[] {
  const out: CheckLine[] = [];
  let j = 0;
  let ok = true;
  for (const m of mine) {
    while (j < theirs.length && theirs[j].name !== m.name && theirs[j].minOccurs === '0') j++;
    const t = theirs[j];
    if (!t || t.name !== m.name) {
      out.push({ ok: false, text: `${what}: expected element "${m.name}" at position ${mine.indexOf(m) + 1}, the server has ${t ? `"${t.name}"` : 'nothing'} (order: ${theirs.map((p) => p.name).join(', ')})` });
      ok = false;
      break;
    }
    j++;
    if (m.type !== t.type && !widens(m.type, t.type)) {
      out.push({ ok: false, text: `${what}/${m.name}: type ${t.type}, the kiosk sends ${m.type}` });
      ok = false;
    } else if (m.type !== t.type) {
      out.push({ ok: true, text: `${what}/${m.name} is ${local(t.type)} on the server, the kiosk sends ${local(m.type)} (a subset): fits` });
    } else if (m.maxOccurs !== t.maxOccurs && !(m.maxOccurs === 'unbounded' && t.maxOccurs === 'unbounded')) {
      out.push({ ok: false, text: `${what}/${m.name}: maxOccurs ${t.maxOccurs}, the kiosk may send ${m.maxOccurs}` });
      ok = false;
    } else if (m.type && depth < 3) {
      const sub = typeSequence(ours, m.type);
      if (sub) {
        const subTheirs = typeSequence(server, t.type!);
        if (!subTheirs) {
          out.push({ ok: false, text: `${what}/${m.name}: type ${t.type} not found in the server's schemas (XDTO package ${POS_NS} not added?)` });
          ok = false;
        } else {
          const lines = compareSequence(`${what}/${m.name}`, sub, subTheirs, ours, server, depth + 1);
          if (lines.some((l) => !l.ok)) ok = false;
          out.push(...lines.filter((l) => !l.ok));
        }
      }
    }
  }
  if (ok) {
    const extra = theirs.slice(j).filter((p) => p.minOccurs !== '0');
    if (extra.length) {
      out.push({ ok: false, text: `${what}: the server requires elements the kiosk does not send: ${extra.map((p) => p.name).join(', ')}` });
      ok = false;
    }
  }
  if (ok && depth === 0) out.push({ ok: true, text: `${what}: ${mine.map((p) => `${p.name}:${local(p.type)}`).join(', ')} as the server expects` });
  return out;
}

/** Runs the whole check; `print` gets one line at a time. Resolves true when everything fits. */
export async function processingCheck(cfg: Config['processing'], print: (line: CheckLine) => void): Promise<boolean> {
  if (!cfg.url) {
    print({ ok: false, text: 'processing.url is not set: reports wait in the outbox' });
    return false;
  }
  const endpoint = endpointOf(cfg.url, cfg.path);
  print({ ok: true, text: `endpoint ${endpoint}${cfg.use_auth ? ` (HTTP Basic as "${cfg.login}")` : ''}${cfg.ca_file ? `, CA file ${cfg.ca_file}` : ''}` });
  let allOk = true;
  const client = await RegisterClient.create(cfg, 'PayPoint processing check');
  try {
    const t0 = Date.now();
    const up = await client.probe();
    print(up ? { ok: true, text: `TCP connection to the server: ok (${Date.now() - t0} ms)` } : { ok: false, text: 'TCP connection to the server: failed (name not resolved, refused or timed out)' });
    if (!up) return false;
  } finally {
    client.close();
  }
  const http = new CurlHttpClient({
    connectTimeoutMs: cfg.connect_timeout_s * 1000,
    timeoutMs: cfg.timeout_s * 1000,
    caFile: cfg.ca_file,
    auth: cfg.use_auth ? { login: cfg.login, password: cfg.password } : null,
    userAgent: 'PayPoint processing check',
  });
  try {
    const url = `${endpoint}?wsdl`;
    let res;
    try {
      res = await http.get(url);
    } catch (e) {
      const cls = e instanceof TransportError ? e.cls : 'network';
      print({ ok: false, text: `GET ${url}: ${cls}: ${oneLine((e as Error).message)}` });
      return false;
    }
    if (res.status !== 200) {
      const c = classifyHttp({ status: res.status, contentType: res.headers['content-type'] ?? '', body: res.data }, undefined);
      print({ ok: false, text: `GET ${url}: ${c.cls}: ${c.detail}` });
      return false;
    }
    print({ ok: true, text: `GET ${url}: HTTP 200, ${res.data.length} bytes (TLS, credentials and path accepted)` });
    let shape: WsdlShape;
    try {
      shape = wsdlShape(res.data);
    } catch (e) {
      print({ ok: false, text: `the answer is not a WSDL: ${oneLine((e as Error).message)}` });
      return false;
    }
    for (const line of compareWsdl(shape, cfg)) {
      print(line);
      if (!line.ok) allOk = false;
    }
    print(allOk ? { ok: true, text: 'compatible: the server accepts the Register messages the kiosk sends' } : { ok: false, text: 'NOT compatible: fix the configuration or the 1C web service' });
    return allOk;
  } finally {
    http.close();
  }
}
