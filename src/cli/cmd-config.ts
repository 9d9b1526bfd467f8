/** `paypoint config check FILE` (exit 0, or 1 with FILE:LINE: field: reason per error) and `config doc`. */
import { ConfigError, formatProblem, loadConfigFile } from '../config/load.js';
import { translateLine } from './messages.js';
import { t, useSchemaLanguage, type CliContext } from './context.js';

export async function configCheck(ctx: CliContext, file: string): Promise<number> {
  await useSchemaLanguage(ctx);
  try {
    loadConfigFile(file);
    ctx.out(t(ctx, 'config.ok', { file }));
    return 0;
  } catch (e) {
    if (e instanceof ConfigError) {
      for (const p of e.problems) ctx.out(translateLine(ctx.lang, formatProblem(p)));
      return 1;
    }
    throw e;
  }
}

export async function configDoc(_ctx: CliContext): Promise<number> {
  const { configReference } = await import('./config-doc.js');
  process.stdout.write(configReference());
  return 0;
}
