/** Exact xs:decimal arithmetic on lexical strings (weighed goods: count 0.375), without floats. */

export interface ScaledDecimal {
  /** value = units / 10^scale */
  units: bigint;
  scale: number;
}

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?$/;

/** Lexical xs:decimal check: optional sign, digits, optional fraction; at least one digit. */
export function isDecimalLexical(s: string): boolean {
  const m = DECIMAL.exec(s);
  return m !== null && (m[2] + (m[3] ?? '')).length > 0;
}

export function parseDecimal(s: string): ScaledDecimal {
  const m = DECIMAL.exec(s);
  if (!m || (m[2] + (m[3] ?? '')).length === 0) throw new RangeError(`not an xs:decimal: ${s}`);
  const frac = (m[3] ?? '').replace(/0+$/, '');
  const digits = (m[2] + frac).replace(/^0+/, '') || '0';
  const units = BigInt(digits) * (m[1] === '-' ? -1n : 1n);
  return { units, scale: frac.length };
}

/** Canonical form: no plus sign, no leading zeros, no trailing fraction zeros ("007.50" -> "7.5"). */
export function canonicalDecimal(s: string): string {
  const { units, scale } = parseDecimal(s);
  const neg = units < 0n;
  let digits = (neg ? -units : units).toString().padStart(scale + 1, '0');
  if (scale > 0) digits = digits.slice(0, -scale) + '.' + digits.slice(-scale);
  return (neg ? '-' : '') + digits;
}

export function compareDecimal(a: string, b: string): number {
  const x = parseDecimal(a);
  const y = parseDecimal(b);
  const scale = Math.max(x.scale, y.scale);
  const xu = x.units * 10n ** BigInt(scale - x.scale);
  const yu = y.units * 10n ** BigInt(scale - y.scale);
  return xu < yu ? -1 : xu > yu ? 1 : 0;
}

export function decimalTimesInt(a: string, n: number): ScaledDecimal {
  const x = parseDecimal(a);
  return { units: x.units * BigInt(n), scale: x.scale };
}
