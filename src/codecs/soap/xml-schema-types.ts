/**
 * Lexical checks of the XML Schema simple types the POS schema uses (XML Schema Part 2): xs:int and
 * xs:decimal collapse whitespace; xs:string keeps it. node-soap would take `12abc` as 12 (docs/design.md, "SOAP (node-soap)").
 */
import { canonicalDecimal, isDecimalLexical } from '../../base/decimal.js';

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;
/** More digits than any real count needs; bounds BigInt work on hostile input. */
export const DECIMAL_MAX_DIGITS = 30;

export type SimpleType = 'string' | 'int' | 'decimal';

export type Lexical = { ok: true; value: string | number } | { ok: false; reason: string };

function collapse(s: string): string {
  return s.replace(/[\t\n\r ]+/g, ' ').trim();
}

export function parseSimple(type: SimpleType, raw: string): Lexical {
  switch (type) {
    case 'string':
      return { ok: true, value: raw };
    case 'int': {
      const s = collapse(raw);
      if (!/^[+-]?\d+$/.test(s)) return { ok: false, reason: `not an xs:int: "${preview(raw)}"` };
      const digits = s.replace(/^[+-]?0*/, '');
      if (digits.length > 10) return { ok: false, reason: `xs:int out of range: "${preview(raw)}"` };
      const n = Number(s);
      if (n < INT_MIN || n > INT_MAX) return { ok: false, reason: `xs:int out of range: "${preview(raw)}"` };
      return { ok: true, value: n === 0 ? 0 : n };
    }
    case 'decimal': {
      const s = collapse(raw);
      if (!isDecimalLexical(s) || !/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(s)) return { ok: false, reason: `not an xs:decimal: "${preview(raw)}"` };
      if (s.replace(/[^0-9]/g, '').length > DECIMAL_MAX_DIGITS) return { ok: false, reason: `xs:decimal has more than ${DECIMAL_MAX_DIGITS} digits` };
      return { ok: true, value: canonicalDecimal(s) };
    }
  }
}

function preview(s: string): string {
  const t = s.length > 24 ? s.slice(0, 24) + '…' : s;
  return t.replace(/[^\x20-\x7e\u0400-\u04ff]/g, '?');
}
