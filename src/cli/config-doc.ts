/** Prints the configuration reference from the schema itself (one source: src/config/schema.ts). */
import { z } from 'zod';
import { ConfigSchema, defaultConfig } from '../config/schema.js';

function unwrap(s: z.ZodType): z.ZodType {
  let cur = s as z.ZodType & { def?: { innerType?: z.ZodType; in?: z.ZodType } };
  for (let i = 0; i < 8; i++) {
    const inner = cur.def?.innerType ?? cur.def?.in;
    if (!inner) break;
    cur = inner as typeof cur;
  }
  return cur;
}

export function configReference(): string {
  const defaults = defaultConfig() as unknown as Record<string, Record<string, unknown>>;
  const lines: string[] = ['| field | default | meaning, range |', '|---|---|---|'];
  const walk = (schema: z.ZodType, path: string[], def: unknown): void => {
    const inner = unwrap(schema);
    if (inner instanceof z.ZodObject) {
      for (const [key, child] of Object.entries(inner.shape as Record<string, z.ZodType>)) {
        walk(child, [...path, key], (def as Record<string, unknown> | undefined)?.[key]);
      }
      return;
    }
    const d = def === undefined ? '' : JSON.stringify(def);
    const desc = schema.description ?? inner.description ?? '';
    lines.push(`| \`${path.join('.')}\` | \`${d.replace(/\|/g, '\\|')}\` | ${desc.replace(/\|/g, '\\|')} |`);
  };
  walk(ConfigSchema, [], defaults);
  return lines.join('\n') + '\n';
}
