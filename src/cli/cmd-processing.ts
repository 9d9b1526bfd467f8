/** `paypoint processing check`: the processing server's WSDL against what the kiosk sends, and the link. */
import { translateLine } from './messages.js';
import { processingCheck } from '../services/reports/processing-check.js';
import { effectiveConfig, t, type CliContext, type ConfigFlags } from './context.js';

export async function processingCheckCmd(ctx: CliContext, flags: ConfigFlags): Promise<number> {
  const cfg = await effectiveConfig(ctx, flags);
  const ok = await processingCheck(cfg.processing, (l) =>
    ctx.out(`${t(ctx, l.ok ? (l.warning ? 'check.warn' : 'check.ok') : 'check.fail')} ${translateLine(ctx.lang, l.text)}`),
  );
  return ok ? 0 : 1;
}
