/**
 * The two actions of the status port (docs/appliance.md, "Cash: collection and refill"): POST
 * /api/cash/collect and /api/cash/refill, for the page's form (behind the status login) and for
 * `paypoint cash collect|refill` (the admin secret). Request bodies are JSON and checked here; the
 * record is made by the cash service in one durable write.
 */
import { ErrorCode, PayPointError } from '../../errors.js';
import { checkCounts, type Counts } from '../../payment/cash-inventory.js';
import type { CashService } from '../cash/cash-service.js';
import type { CashRecord } from '../store/session-store.js';
import { secretMatches } from '../usb-import/admin-secret.js';

export interface CashActions {
  /** Whether `secret` is the unit's admin secret (false when none is set). */
  adminSecret(secret: string): boolean;
  run(action: 'collect' | 'refill', body: unknown, by: string): Promise<CashRecord>;
}

const MAX_NOTE = 200;

function counts(body: Record<string, unknown>, field: string): Counts {
  const c = body[field] ?? {};
  const bad = checkCounts(c);
  if (bad) throw new PayPointError(ErrorCode.CashInvalidCounts, `${field}: ${bad}`, { field });
  return c as Counts;
}

function note(body: Record<string, unknown>): string {
  const n = body.note ?? '';
  if (typeof n !== 'string' || n.length > MAX_NOTE || /[\u0000-\u001f]/.test(n)) {
    throw new PayPointError(ErrorCode.CashInvalidCounts, `note: a line of text up to ${MAX_NOTE} characters`, { field: 'note' });
  }
  return n;
}

export function cashActions(cash: CashService, adminSecretSha256: string): CashActions {
  return {
    adminSecret: (secret) => adminSecretSha256 !== '' && secretMatches(secret, adminSecretSha256),
    async run(action, body, by) {
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw new PayPointError(ErrorCode.CashInvalidCounts, 'expected a JSON object', { field: '' });
      }
      const b = body as Record<string, unknown>;
      const unknown = Object.keys(b).filter((k) => !['declared', 'added', 'note'].includes(k));
      if (unknown.length) throw new PayPointError(ErrorCode.CashInvalidCounts, `unknown field ${unknown[0]}`, { field: unknown[0] });
      return action === 'collect'
        ? cash.collect({ declared: counts(b, 'declared'), by, note: note(b) })
        : cash.refill({ added: counts(b, 'added'), by, note: note(b) });
    },
  };
}
