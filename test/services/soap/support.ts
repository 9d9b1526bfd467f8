/** Helpers shared by the SOAP service tests: what the daemon stored, what a fault says, waiting on PayPoll. */
import { newestByUid, readDatafile } from '../../../src/services/store/session-file-reader.js';
import { pollXml, returnCode, soapPost } from '../../helpers/daemon.js';
import { lastAnswer, waitFor } from '../../helpers/wait.js';

/** The newest session of a uid in the daemon's datafile (read by the store's own file reader). */
export function storedSession(dataDir: string, uid: string): Record<string, unknown> | null {
  return (newestByUid(readDatafile(dataDir).sessions).get(uid) as unknown as Record<string, unknown> | undefined) ?? null;
}

export interface ParsedFault {
  faultcode: string;
  faultstring: string;
  code: number | null;
}

/**
 * Reads a SOAP 1.1 fault out of a response body, checking its shape on the way: the SOAP 1.1 envelope
 * namespace, Envelope/Body/Fault, faultcode and faultstring present. Returns null when it is not one.
 */
export function parseFault(body: string): ParsedFault | null {
  const env = /^(?:<\?xml[^>]*\?>)?<(\w+):Envelope xmlns:\1="http:\/\/schemas\.xmlsoap\.org\/soap\/envelope\/"><\1:Body><\1:Fault>([\s\S]*)<\/\1:Fault><\/\1:Body><\/\1:Envelope>$/.exec(body);
  if (!env) return null;
  const fc = /<faultcode>([^<]*)<\/faultcode>/.exec(env[2]);
  const fs = /<faultstring>([^<]*)<\/faultstring>/.exec(env[2]);
  const code = /<(?:\w+:)?code>(\d+)<\/(?:\w+:)?code>/.exec(env[2]);
  if (!fc || !fs) return null;
  return { faultcode: fc[1], faultstring: fs[1], code: code ? Number(code[1]) : null };
}

/** Leaked stack frames or source paths in a response body. */
export const STACK_TRACE = /\bat [\w.<>]+ \(|\bat file:|\.ts:\d|\.js:\d|node:internal|node_modules/;

/** PayPoll over plain HTTP. */
export async function pollCode(url: string, uid: string, headers: Record<string, string> = {}): Promise<number | null> {
  return returnCode((await soapPost(url, pollXml(uid), headers)).body);
}

/**
 * Polls until PayPoll answers something other than `from` (a paid session passes through dispensing
 * change before it answers 0). Bounded (about `tries` asks), not asserted as a time.
 */
export async function pollUntilNot(ask: () => Promise<number | null>, from: number, tries = 100): Promise<number | null> {
  let r: number | null = null;
  await waitFor(`an answer other than ${from}`, async () => (r = await ask()) !== from, { timeoutMs: tries * 100, everyMs: 100 }).catch(lastAnswer);
  return r;
}
