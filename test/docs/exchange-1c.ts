/**
 * A real exchange of the integration guide (docs/1c): the scanning terminal's Pay and PayPoll against a
 * running daemon with simulated devices (the customer pays with two bills), and the Register that the
 * daemon then sends to the strict spyne stand-in of the processing server. The guide's XML examples are
 * these messages; the test compares them, and `npx tsx test/docs/exchange-1c.ts --write` rewrites them.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sax from 'sax';
import { REPO, simCmd, soapPost, startDaemonProcess, type DaemonProcess } from '../helpers/daemon.js';
import { startProcessingServer, type ProcessingServer } from '../services/reports/processing-server.js';
import { lastAnswer, waitFor } from '../helpers/wait.js';

export const EXAMPLES = join(REPO, 'docs/1c/examples');
export const FILES = ['pay-request.xml', 'pay-response.xml', 'paypoll-request.xml', 'paypoll-response-progress.xml', 'paypoll-response-paid.xml', 'register-request.xml', 'register-response.xml'] as const;
export type ExampleFile = (typeof FILES)[number];

export const UID = '3f2b8c1e-5a7d-4e09-9c61-2d4f8a0b7e15';
const TERMINAL = 'KIOSK-01';

export interface Live {
  kiosk: DaemonProcess;
  processing: ProcessingServer;
  stop(): Promise<void>;
}

export async function startLive(): Promise<Live> {
  const processing = await startProcessingServer();
  const kiosk = await startDaemonProcess({
    configText: `[pos]\nterminal_id = "${TERMINAL}"\n[processing]\nurl = "${processing.url}"\npath = "/shop/ws/processing.1cws"\nretry_scale = 0.001\n[status]\nenabled = false\n[led]\nenabled = false\n`,
  });
  return {
    kiosk,
    processing,
    async stop() {
      await kiosk.stop();
      await processing.stop();
    },
  };
}

const SOAP_ACTION = (op: string) => `"http://www.stampsoft.ru/pos#pos:${op}"`;

/** Posts a request file's text as the scanning terminal does; the response body. */
export async function post(live: Live, op: 'Pay' | 'PayPoll', body: string): Promise<{ status: number; body: string }> {
  const r = await soapPost(live.kiosk.url, body, { SOAPAction: SOAP_ACTION(op) });
  return { status: r.status, body: r.body };
}

/** The whole exchange with the given request texts; every message, keyed by its example file. */
export async function runExchange(live: Live, requests: { pay: string; poll: string }): Promise<Record<ExampleFile, string>> {
  const pay = await post(live, 'Pay', requests.pay);
  const progress = await post(live, 'PayPoll', requests.poll);
  for (const bill of ['100', '50']) {
    const r = await simCmd(live.kiosk, 'bill', bill);
    if (r.code !== 0) throw new Error(`sim bill ${bill}: ${r.out}`);
  }
  let paid = await post(live, 'PayPoll', requests.poll);
  await waitFor('PayPoll answering other than 1', async () => !/<(\w+:)?return>1</.test((paid = await post(live, 'PayPoll', requests.poll)).body), { timeoutMs: 5_000, everyMs: 50 }).catch(lastAnswer);
  await waitFor('a Register at the processing stand-in', () => live.processing.accepted().length > 0).catch((e) => {
    throw new Error(`no Register reached the processing stand-in: ${JSON.stringify(live.processing.received())} (${(e as Error).message})`);
  });
  const reg = live.processing.accepted()[0];
  return {
    'pay-request.xml': requests.pay,
    'pay-response.xml': pay.body,
    'paypoll-request.xml': requests.poll,
    'paypoll-response-progress.xml': progress.body,
    'paypoll-response-paid.xml': paid.body,
    'register-request.xml': reg.raw,
    // The stand-in's answer is spyne's; 1C answers the same element in the service's namespace.
    'register-response.xml': '',
  };
}

/**
 * A message reduced to what a SOAP peer sees: elements as {namespace}local, their non-blank text, and
 * attributes other than namespace declarations, in document order. Prefixes, declarations, indentation
 * and comments do not count.
 */
export function normalize(xml: string, ignore: Set<string> = new Set()): string[] {
  const out: string[] = [];
  const p = sax.parser(true, { xmlns: true, trim: true });
  p.onopentag = (n) => {
    const tag = n as sax.QualifiedTag;
    out.push(`<{${tag.uri}}${tag.local}`);
    for (const a of Object.values(tag.attributes)) if (a.prefix !== 'xmlns' && a.name !== 'xmlns') out.push(`@{${a.uri}}${a.local}=${a.value}`);
  };
  p.ontext = (t) => {
    const last = out.at(-1) ?? '';
    const local = /\}(\w+)$/.exec(last)?.[1];
    out.push(local && ignore.has(local) ? '#(varies)' : `#${t}`);
  };
  p.onclosetag = () => out.push('>');
  p.write(xml).close();
  return out;
}

export function readExample(f: ExampleFile): string {
  return readFileSync(join(EXAMPLES, f), 'utf8');
}

if (process.argv.includes('--write')) {
  const live = await startLive();
  try {
    const msgs = await runExchange(live, { pay: readExample('pay-request.xml'), poll: readExample('paypoll-request.xml') });
    for (const [f, text] of Object.entries(msgs)) if (text && !f.endsWith('-request.xml') || f === 'register-request.xml') writeFileSync(join(EXAMPLES, `${f}.captured`), text);
  } finally {
    await live.stop();
  }
}
