/**
 * Shared by the reports integration tests: payments made the way a customer makes them (Pay over SOAP, then
 * coins or the card through the simulation socket, src/cli/sim-client.ts), and the daemon configuration
 * that points it at the 1C stand-in.
 */
import { sendSimCommand } from '../../src/cli/sim-client.js';
import { simSocketPath } from '../../src/services/sim-control/sim-control-protocol.js';
import { payXml, pollXml, returnCode, soapPost } from '../helpers/daemon.js';
import { waitFor } from '../helpers/wait.js';

export const ITEMS = [
  { id: '4600001', name: 'Хлеб', count: '1', cost: 600 },
  { id: 'W-17', name: 'Яблоки', count: '0.5', cost: 800 },
];
export const AMOUNT = 1000;

/** Status page and LED off: their fixed default port would collide with other tests' daemons. */
export function daemonToml(processingUrl: string, timeoutS = 10, logLevel = 'info'): string {
  return `[pos]\nterminal_id = "KIOSK-IT"\nsession_timeout_s = 10\n\n[processing]\nurl = "${processingUrl}"\ntimeout_s = ${timeoutS}\nconnect_timeout_s = 2\nprobe_interval_s = 1\nretry_scale = 0.001\n\n[status]\nenabled = false\n\n[led]\nenabled = false\n\n[log]\nlevel = "${logLevel}"\n`;
}

export interface Kiosk {
  url: string;
  dataDir: string;
  port: number;
}

/**
 * One payment of AMOUNT kopecks by cash (one 10-rouble coin) or card. Resolves 'paid' once PayPoll
 * answered 0; throws when the daemon goes away mid-way (a kill).
 */
export async function pay(k: Kiosk, uid: string, how: 'cash' | 'card'): Promise<'paid' | 'busy'> {
  const r = await soapPost(k.url, payXml(uid, AMOUNT, ITEMS));
  const code = returnCode(r.body);
  const sock = simSocketPath(k.dataDir, k.port);
  if (code === -2) {
    // A session left in progress by a kill: the customer presses cancel (cash back, no report).
    await sendSimCommand(sock, { cmd: 'cancel' }, 5_000).catch(() => undefined);
    return 'busy';
  }
  if (code !== 0) throw new Error(`Pay ${uid} answered ${code}: ${r.body.slice(0, 200)}`);
  // The card is offered just after Pay is answered (the engine's effect after its store write): the
  // customer may be a moment early, and taps again.
  for (let attempt = 0; ; attempt++) {
    const reply = await sendSimCommand(sock, how === 'cash' ? { cmd: 'coin', value: AMOUNT } : { cmd: 'card', action: 'approve' }, 5_000);
    if (reply.ok) break;
    if (how !== 'card' || attempt >= 50) throw new Error(`sim ${how} for ${uid}: ${reply.message}`);
    await new Promise((res) => setTimeout(res, 20));
  }
  return waitFor(`${uid} paid`, async () => {
    const p = returnCode((await soapPost(k.url, pollXml(uid))).body);
    if (p !== 0 && p !== 1) throw new Error(`PayPoll ${uid} answered ${p}`);
    return p === 0 && ('paid' as const);
  }, { timeoutMs: 5_000 });
}
