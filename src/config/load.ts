/**
 * Loads and validates a configuration file once (contract section 4). Accepts what a technician's
 * Notepad writes: UTF-8 with or without BOM, CRLF line ends, comments, Cyrillic. Every problem is
 * reported as `FILE:LINE: field: reason`; all of them at once, not just the first.
 */
import { readFileSync, statSync } from 'node:fs';
import { parse as parseToml } from 'smol-toml';
import { ConfigSchema, type Config } from './schema.js';
import { TomlLocator } from './toml-locator.js';
import { ErrorCode, PayPointError } from '../errors.js';

export const MAX_CONFIG_BYTES = 64 * 1024;

export interface ConfigProblem {
  file: string;
  line: number;
  field: string;
  reason: string;
}

export function formatProblem(p: ConfigProblem): string {
  return `${p.file}:${p.line}: ${p.field}: ${p.reason}`;
}

export class ConfigError extends PayPointError {
  readonly problems: ConfigProblem[];
  constructor(code: ErrorCode, problems: ConfigProblem[]) {
    super(code, problems.map(formatProblem).join('\n'), { problems });
    this.problems = problems;
  }
}

/** Decodes bytes as strict UTF-8, drops a BOM, folds CRLF/CR to LF. */
export function decodeConfigText(bytes: Uint8Array, file: string): string {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new ConfigError(ErrorCode.ConfigEncoding, [{ file, line: 0, field: '(file)', reason: 'not valid UTF-8: save the file as UTF-8' }]);
  }
  return text.replace(/\r\n?/g, '\n');
}

/** Validates configuration text; `file` only names the source in errors. Throws ConfigError. */
export function parseConfigText(text: string, file: string): Config {
  let raw: unknown;
  try {
    raw = parseToml(text);
  } catch (e) {
    const err = e as { line?: number; message?: string };
    const reason = (err.message ?? 'syntax error').split('\n')[0].replace(/^Invalid TOML document:\s*/, '');
    throw new ConfigError(ErrorCode.ConfigSyntax, [{ file, line: err.line ?? 0, field: '(syntax)', reason }]);
  }
  const result = ConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  const locator = new TomlLocator(text);
  const problems: ConfigProblem[] = result.error.issues.map((issue) => {
    let path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
    let reason = issue.message;
    if (issue.code === 'unrecognized_keys') {
      // Point at the unknown key itself, not its table.
      const key = issue.keys[0];
      path = [...path, key];
      reason = `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    }
    return { file, line: locator.lineOf(path), field: path.join('.') || '(root)', reason };
  });
  // One problem per field (an empty string breaks both "min length" and "pattern": say it once).
  const seen = new Set<string>();
  const unique = problems.filter((p) => !seen.has(p.field) && seen.add(p.field));
  unique.sort((a, b) => a.line - b.line);
  throw new ConfigError(ErrorCode.ConfigInvalid, unique);
}

/** Reads and validates a configuration file. Throws ConfigError naming the file. */
export function loadConfigFile(file: string): Config {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (e) {
    throw new ConfigError(ErrorCode.ConfigUnreadable, [{ file, line: 0, field: '(file)', reason: `cannot read: ${(e as NodeJS.ErrnoException).code ?? 'error'}` }]);
  }
  if (size > MAX_CONFIG_BYTES) {
    throw new ConfigError(ErrorCode.ConfigTooLarge, [{ file, line: 0, field: '(file)', reason: `too large: ${size} bytes, at most ${MAX_CONFIG_BYTES}` }]);
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new ConfigError(ErrorCode.ConfigUnreadable, [{ file, line: 0, field: '(file)', reason: `cannot read: ${(e as NodeJS.ErrnoException).code ?? 'error'}` }]);
  }
  return parseConfigText(decodeConfigText(bytes, file), file);
}
