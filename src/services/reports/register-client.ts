/**
 * The Register client (contract 3): node-soap on the shipped 1C-shaped WSDL, always through the SOAP 1.1
 * port, posting to the configured endpoint (server URL + publication path, never the WSDL's soap:address),
 * over libcurl (http-client.ts). Every value is checked against the schema before it goes out
 * (report-check.ts). `register` never throws: it answers an Outcome for the worker to act on.
 */
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
// node-soap's WSDL reader and client only, not its main module: that one also loads the SOAP server, the
// WS-Security signers (xml-crypto, @xmldom/xmldom, xpath) and their TLS modules, none of which a Register
// call uses, at ~2 MiB of a field unit's memory (bench/README.md, "Where memory goes").
import { Client } from 'soap/lib/client.js';
import type { IOptions } from 'soap/lib/types.js';
import { WSDL } from 'soap/lib/wsdl/index.js';
import type { Config } from '../../config/schema.js';
import { isPayPointError } from '../../errors.js';
import type { Report } from '../../base/types.js';
import { CurlHttpClient, TransportError, type Capture } from './http-client.js';
import { classifyHttp, oneLine, type Outcome } from './outcome.js';
import { endpointOf, processingWsdl } from './processing-wsdl.js';
import { checkedRegisterArgs } from './report-check.js';
import { soap11Port, wsdlShape } from './wsdl-shape.js';

export type ProcessingConfig = Config['processing'];

type RegisterMethod = (args: unknown, cb: (err: unknown, result: unknown) => void, options: unknown) => void;

export class RegisterClient {
  private constructor(
    readonly endpoint: string,
    readonly http: CurlHttpClient,
    private readonly method: RegisterMethod,
    private readonly probeTarget: { host: string; port: number },
    private readonly connectTimeoutMs: number,
  ) {}

  static async create(cfg: ProcessingConfig, userAgent = 'PayPoint'): Promise<RegisterClient> {
    const endpoint = endpointOf(cfg.url, cfg.path);
    const http = new CurlHttpClient({
      connectTimeoutMs: cfg.connect_timeout_s * 1000,
      timeoutMs: cfg.timeout_s * 1000,
      caFile: cfg.ca_file,
      auth: cfg.use_auth ? { login: cfg.login, password: cfg.password } : null,
      userAgent,
    });
    const text = processingWsdl(cfg.namespace, cfg.service);
    const port = soap11Port(wsdlShape(text), cfg.service);
    if (!port) throw new Error('shipped processing WSDL has no SOAP 1.1 port');
    const options = { httpClient: http, disableCache: true, endpoint } as IOptions;
    const wsdl = new WSDL(text, 'processing.wsdl', options);
    await new Promise<void>((res, rej) => wsdl.onReady((err) => (err ? rej(err) : res())));
    const client = new Client(wsdl, endpoint, options);
    client.setEndpoint(endpoint);
    // soapAction comes from the SOAP 1.1 binding: "<ns>#<service>:Register", as 1C publishes it.
    // 1C publishes a SOAP 1.1 and a SOAP 1.2 port; node-soap would bind the last (docs/design.md, "SOAP (node-soap)"), so the
    // method is taken from the SOAP 1.1 port by name.
    const svc = (client as unknown as Record<string, Record<string, Record<string, RegisterMethod>>>)[cfg.service];
    const method = svc?.[port]?.Register;
    if (typeof method !== 'function') throw new Error(`no Register on port ${port}`);
    const u = new URL(endpoint);
    const probePort = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
    return new RegisterClient(endpoint, http, method, { host: u.hostname.replace(/^\[|\]$/g, ''), port: probePort }, cfg.connect_timeout_s * 1000);
  }

  /** Sends one report; resolves with what came of it. */
  async register(report: Report): Promise<Outcome> {
    const t0 = performance.now();
    let args: Record<string, unknown>;
    try {
      args = checkedRegisterArgs(report);
    } catch (e) {
      return { cls: 'invalid', detail: isPayPointError(e) ? e.message : String(e), httpStatus: null, ms: 0 };
    }
    const capture: Capture = {};
    const result = await new Promise<unknown>((resolve) => {
      this.method(args, (err, res) => resolve(err ? undefined : res), { capture });
    });
    const ms = Math.round(performance.now() - t0);
    if (capture.transport) return { cls: capture.transport.cls, detail: oneLine(capture.transport.message), httpStatus: null, ms };
    if (!capture.answer) return { cls: 'network', detail: 'no answer', httpStatus: null, ms };
    const ret = (result as { return?: unknown } | undefined)?.return;
    const parsed = typeof ret === 'boolean' ? ret : undefined;
    const { cls, detail } = classifyHttp(capture.answer, parsed);
    return { cls, detail, httpStatus: capture.answer.status, ms };
  }

  /**
   * A cheap probe of the link: resolve the server's name and open a TCP connection (no request, nothing
   * in 1C's log). True when the server accepts connections again.
   */
  probe(): Promise<boolean> {
    return new Promise((resolve) => {
      const s = connect({ host: this.probeTarget.host, port: this.probeTarget.port });
      const done = (up: boolean) => {
        s.destroy();
        resolve(up);
      };
      s.setTimeout(this.connectTimeoutMs, () => done(false));
      s.once('connect', () => done(true));
      s.once('error', () => done(false));
    });
  }

  close(): void {
    this.http.close();
  }
}

export { TransportError };
