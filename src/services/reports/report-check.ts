/**
 * Checks every value of a Register report against the processing WSDL's schema before it is sent
 * (contract 3; docs/contract.md, "3. The report": node-soap would send `'abc'` for an xs:int, or NaN, or 1e21, without a word).
 * A report that fails here is never sent as it is: it stays in the outbox, flagged `invalid` with the
 * reason, for a person to look at (nothing is ever dropped).
 */
import { ErrorCode, PayPointError } from '../../errors.js';
import type { Report } from '../../base/types.js';

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;
/** Characters XML 1.0 can carry at all (XML 1.0, production [2] Char): anything else cannot be sent. */
const XML_CHARS = /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

/** The Register elements in the contract's order (contract 3, the table). */
export const REGISTER_FIELDS = ['terminal_id', 'uid', 'amount', 'pay_amount', 'charge_amount', 'rest_amount', 'pay_type', 'order', 'time'] as const;

function fail(field: string, reason: string): never {
  throw new PayPointError(ErrorCode.ReportInvalid, `${field}: ${reason}`, { field });
}

function xsString(field: string, v: unknown, nonEmpty: boolean): string {
  if (typeof v !== 'string') fail(field, 'not a string');
  if (!XML_CHARS.test(v)) fail(field, 'has a character XML cannot carry');
  if (nonEmpty && v.trim() === '') fail(field, 'empty');
  return v;
}

function xsInt(field: string, v: unknown, min = INT_MIN): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) fail(field, `not an xs:int: ${String(v)}`);
  if (v < min || v > INT_MAX) fail(field, `out of range for xs:int (${min}..${INT_MAX}): ${v}`);
  return v;
}

/**
 * Returns the report as the plain object node-soap serializes (elements in schema order, order items
 * under `orderitem`), or throws PayPointError(ReportInvalid) naming the first bad field.
 */
export function checkedRegisterArgs(r: Report): Record<string, unknown> {
  if (typeof r !== 'object' || r === null) fail('report', 'missing');
  // Only what the schema (and the contract's pay_type codes) says: a rule of our own here could hold a
  // real payment's report back forever.
  const amount = xsInt('amount', r.amount);
  const payAmount = xsInt('pay_amount', r.pay_amount);
  const charge = xsInt('charge_amount', r.charge_amount);
  const rest = xsInt('rest_amount', r.rest_amount);
  const payType = xsInt('pay_type', r.pay_type);
  if (payType !== 0 && payType !== 1) fail('pay_type', `must be 0 (cash) or 1 (card): ${payType}`);
  if (!Array.isArray(r.order)) fail('order', 'not a list');
  const items = r.order.map((it, i) => {
    const at = `order[${i}]`;
    const count = xsString(`${at}.count`, it?.count, true);
    if (!DECIMAL.test(count)) fail(`${at}.count`, `not an xs:decimal: ${count}`);
    return {
      id: xsString(`${at}.id`, it.id, false),
      name: xsString(`${at}.name`, it.name, false),
      count,
      cost: xsInt(`${at}.cost`, it.cost),
    };
  });
  return {
    terminal_id: xsString('terminal_id', r.terminal_id, true),
    uid: xsString('uid', r.uid, true),
    amount,
    pay_amount: payAmount,
    charge_amount: charge,
    rest_amount: rest,
    pay_type: payType,
    order: { orderitem: items },
    // xs:int holds unix time until 2038-01-19: the schema is 1C's, so a later time is refused here
    // rather than sent wrapped round.
    time: xsInt('time', r.time, 0),
  };
}
