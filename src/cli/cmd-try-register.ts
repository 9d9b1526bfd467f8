/**
 * `paypoint try register --url https://SERVER/ [--path ...]`: sends one test Register (contract,
 * section 3) with the daemon's own client, so the technician sees what the processing server's 1C
 * answers before the first real payment. The uid starts with "paypoint-try-": the 1C handler records it
 * like any other (it is idempotent by uid), so it can be found and deleted there.
 */
import { randomUUID } from 'node:crypto';
import { RegisterClient } from '../services/reports/register-client.js';
import { endpointOf } from '../services/reports/processing-wsdl.js';
import { CliFailure, effectiveConfig, t, UsageError, type CliContext } from './context.js';

export async function tryRegister(ctx: CliContext, o: Record<string, string | undefined>): Promise<number> {
  const cfg = await effectiveConfig(ctx, { config: o.config });
  const p = { ...cfg.processing };
  if (o.url !== undefined) p.url = o.url.endsWith('/') ? o.url : o.url + '/';
  if (o.path !== undefined) p.path = o.path;
  if (o.namespace !== undefined) p.namespace = o.namespace;
  if (o.service !== undefined) p.service = o.service;
  if (o.login !== undefined) {
    p.use_auth = true;
    p.login = o.login;
    p.password = o.password ?? process.env.PAYPOINT_PASSWORD ?? '';
  }
  if (!p.url) throw new UsageError(t(ctx, 'try.reg.no-url'));
  let endpoint: string;
  try {
    endpoint = endpointOf(p.url, p.path);
  } catch (e) {
    throw new UsageError(`--url/--path: ${(e as Error).message}`);
  }
  const amount = 100;
  const report = {
    terminal_id: o.terminalId ?? cfg.pos.terminal_id,
    uid: `paypoint-try-${randomUUID()}`,
    amount,
    pay_amount: amount,
    charge_amount: 0,
    rest_amount: 0,
    pay_type: 0 as const,
    order: [{ id: 'paypoint-try', name: ctx.lang === 'ru' ? 'Пробный отчёт' : 'Test report', count: '1', cost: amount }],
    time: Math.floor(Date.now() / 1000),
  };
  ctx.out(t(ctx, 'try.reg.sent', { endpoint, tid: report.terminal_id, uid: report.uid, amount }));
  let client: RegisterClient;
  try {
    client = await RegisterClient.create(p, 'PayPoint try register');
  } catch (e) {
    throw new CliFailure((e as Error).message);
  }
  try {
    const r = await client.register(report);
    if (r.cls === 'true') {
      ctx.out(t(ctx, 'try.reg.true'));
      return 0;
    }
    ctx.err(r.cls === 'false' ? t(ctx, 'try.reg.false') : t(ctx, 'try.reg.other', { cls: r.cls, detail: r.detail }));
    return 1;
  } finally {
    client.close();
  }
}
