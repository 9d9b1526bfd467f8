/**
 * What every command shares: the message language, usage errors and the configuration as the flags make
 * it. Kept small: the entry point imports it for every command, and the heavy modules (the daemon, SOAP,
 * curl) are loaded only by the command that uses them.
 */
import { existsSync, statSync } from 'node:fs';
import type { Config } from '../config/schema.js';
import { envLang, msg, type Lang, type MessageKey } from './messages.js';

/** A wrong command line: exit code 2, the reason and a pointer to the command's --help. */
export class UsageError extends Error {}

export interface CliContext {
  /** Language chosen by --lang or the environment; null: none chosen yet (the configuration decides). */
  explicitLang: Lang | null;
  lang: Lang;
  out: (line: string) => void;
  err: (line: string) => void;
  /** The command path for the "see --help" pointer, e.g. "try pay". */
  cmdPath: string;
}

export function makeContext(argv: string[], env: NodeJS.ProcessEnv = process.env): CliContext {
  let flag: string | undefined;
  argv.forEach((a, i) => {
    if (a === '--lang') flag = argv[i + 1];
    else if (a.startsWith('--lang=')) flag = a.slice(7);
  });
  const explicit = flag === 'ru' || flag === 'en' ? flag : envLang(env);
  return {
    explicitLang: explicit,
    lang: explicit ?? 'en',
    out: (l) => void process.stdout.write(l + '\n'),
    err: (l) => void process.stderr.write(l + '\n'),
    cmdPath: '',
  };
}

export function t(ctx: CliContext, key: MessageKey, params?: Record<string, string | number>): string {
  return msg(ctx.lang, key, params);
}

export interface ConfigFlags {
  config?: string;
  dataDir?: string;
  port?: string;
  statusPort?: string;
}

export function parsePort(ctx: CliContext, opt: string, s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!/^\d+$/.test(s) || n < 1 || n > 65535) throw new UsageError(t(ctx, 'err.port', { opt, v: s }));
  return n;
}

/** Configuration as the commands see it: the file (or the built-in default), then the flags on top. */
export async function effectiveConfig(ctx: CliContext, f: ConfigFlags): Promise<Config> {
  const { defaultConfig } = await import('../config/schema.js');
  const { loadConfigFile } = await import('../config/load.js');
  await useSchemaLanguage(ctx);
  const cfg = f.config ? loadConfigFile(f.config) : defaultConfig();
  if (f.config && ctx.explicitLang === null) ctx.lang = cfg.status.language;
  if (f.dataDir) cfg.storage.data_dir = f.dataDir;
  const port = parsePort(ctx, '--port', f.port);
  if (port !== undefined) cfg.api.port = port;
  const statusPort = parsePort(ctx, '--status-port', f.statusPort);
  if (statusPort !== undefined) cfg.status.port = statusPort;
  return cfg;
}

/**
 * The schema library's own reasons ("too small", "expected number") in the message language: zod ships
 * a Russian locale. The schema's own reasons are translated by the dictionary's patterns.
 */
export async function useSchemaLanguage(ctx: CliContext): Promise<void> {
  if (ctx.lang !== 'ru') return;
  const { z } = await import('zod');
  z.config(z.locales.ru());
}

/** Commands that read a data directory must not take a missing one for an empty one. */
export function requireDataDir(ctx: CliContext, dir: string): void {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new CliFailure(t(ctx, 'err.no-data-dir', { dir }));
}

/** A refusal or failure the command explains itself: exit code 1 with the message. */
export class CliFailure extends Error {}
