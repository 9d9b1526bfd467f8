/**
 * `paypoint try pay RUB [--url http://UNIT:8080/]`: plays the scanning terminal (contract, section 1)
 * so that a technician can try a payment before the shop's 1C is connected. A fresh uid (a UUID, never
 * a time stamp: two Pays in one second would get -3), Pay, then PayPoll until a final state. A PayPoll
 * that gets no answer is asked again with the same uid: the session lives on the kiosk, and a new Pay
 * would start a second one.
 */
import { randomUUID } from 'node:crypto';
import { rub } from './messages.js';
import { roublesToKopecks } from '../services/sim-control/sim-control-protocol.js';
import { t, UsageError, type CliContext } from './context.js';
import { faultString, payPollRequest, payRequest, PosClient, POS_NS, returnValue, type HttpResult } from './pos-client.js';

const PAY_CODES = new Set([0, -1, -2, -3]);
const POLL_CODES = new Set([-1, -4, 0, 1, 2]);

function seconds(ctx: CliContext, opt: string, v: string | undefined, min: number, max: number): number {
  const n = Number(v);
  if (!/^\d+(\.\d+)?$/.test(v ?? '') || n < min || n > max) throw new UsageError(t(ctx, 'err.seconds', { opt, v: v ?? '' }));
  return n;
}

/** An HTTP answer that is not a SOAP result: the line to print, or null when it is one. */
function httpProblem(ctx: CliContext, r: HttpResult): string | null {
  if (r.status === 401) return t(ctx, 'try.http401');
  const f = faultString(r.body);
  if (f !== null) return t(ctx, 'try.fault', { m: f });
  if (r.status !== 200) return t(ctx, 'try.http', { status: r.status, m: r.body.slice(0, 120).replace(/\s+/g, ' ') });
  return null;
}

export async function tryPay(ctx: CliContext, rubles: string, o: Record<string, string | undefined>): Promise<number> {
  const amount = roublesToKopecks(rubles);
  if (amount === null || amount <= 0) throw new UsageError(t(ctx, 'err.amount', { v: rubles }));
  const timeoutS = seconds(ctx, '--timeout', o.timeout ?? '300', 1, 86_400);
  const intervalS = seconds(ctx, '--interval', o.interval ?? '1', 0.1, 60);
  const password = o.password ?? process.env.PAYPOINT_PASSWORD;
  let client: PosClient;
  try {
    client = new PosClient({ url: o.url ?? 'http://127.0.0.1:8080/', login: o.login, password, timeoutMs: 10_000 });
  } catch {
    throw new UsageError(`--url: ${o.url}`);
  }
  const url = client.url.href;

  // 1. The WSDL, as 1C's WSОпределения reads it first: reachability, credentials, the right service.
  let w: HttpResult;
  try {
    w = await client.wsdl();
  } catch (e) {
    ctx.err(t(ctx, 'try.unreachable', { url, why: (e as NodeJS.ErrnoException).code ?? (e as Error).message }));
    return 3;
  }
  const wp = w.status === 200 ? null : httpProblem(ctx, w);
  if (wp) {
    ctx.err(wp);
    return 3;
  }
  if (!w.body.includes(`targetNamespace="${POS_NS}"`)) {
    ctx.err(t(ctx, 'try.bad-wsdl', { url, ns: POS_NS }));
    return 3;
  }
  ctx.out(t(ctx, 'try.wsdl', { url, ns: POS_NS }));

  // 2. Pay with a fresh uid and a one-line order whose price is the amount (kopecks, as the contract says).
  const uid = randomUUID();
  ctx.out(t(ctx, 'try.pay.sent', { uid, amount, rub: rub(amount) }));
  let r: HttpResult;
  try {
    r = await client.call('Pay', payRequest(uid, amount, [{ id: 'paypoint-try', name: ctx.lang === 'ru' ? 'Пробная оплата' : 'Test payment', count: '1', cost: amount }]));
  } catch (e) {
    // Pay may have reached the kiosk: its state is unknown until PayPoll says (fall through to polling).
    ctx.err(t(ctx, 'try.no-answer', { op: 'Pay', why: (e as NodeJS.ErrnoException).code ?? (e as Error).message }));
    r = { status: 0, body: '', headers: {} };
  }
  if (r.status !== 0) {
    const p = httpProblem(ctx, r);
    if (p) {
      ctx.err(p);
      return 3;
    }
    const code = returnValue(r.body);
    if (code === null || !PAY_CODES.has(code)) {
      ctx.err(t(ctx, 'try.unknown-code', { op: 'Pay', code: String(code) }));
      return 3;
    }
    ctx.out(t(ctx, `try.pay.${code}` as 'try.pay.0'));
    if (code !== 0) {
      ctx.out(t(ctx, 'try.result.not-paid'));
      return 1;
    }
  }

  // 3. PayPoll until paid, cancelled, or the time is up; print each change of state once.
  const deadline = Date.now() + timeoutS * 1000;
  let last: number | null = null;
  for (;;) {
    await new Promise((res) => setTimeout(res, intervalS * 1000));
    let code: number | null = null;
    try {
      const p = await client.call('PayPoll', payPollRequest(uid));
      const problem = httpProblem(ctx, p);
      if (problem) {
        ctx.err(problem);
        return 3;
      }
      code = returnValue(p.body);
      if (code === null || !POLL_CODES.has(code)) {
        ctx.err(t(ctx, 'try.unknown-code', { op: 'PayPoll', code: String(code) }));
        return 3;
      }
    } catch (e) {
      ctx.err(t(ctx, 'try.no-answer', { op: 'PayPoll', why: (e as NodeJS.ErrnoException).code ?? (e as Error).message }));
    }
    if (code !== null && code !== last) {
      ctx.out(t(ctx, `try.poll.${code}` as 'try.poll.0'));
      last = code;
    }
    if (code === 0) {
      ctx.out(t(ctx, 'try.result.paid'));
      return 0;
    }
    if (code === 2) {
      ctx.out(t(ctx, 'try.result.not-paid'));
      return 1;
    }
    if (code === -1 || code === -4) return 3;
    if (Date.now() >= deadline) {
      ctx.err(t(ctx, 'try.timeout', { s: timeoutS, uid }));
      return 3;
    }
  }
}
