/**
 * Checks of Pay's values that give -1 (contract 1: "empty or over-long uid, amount <= 0 or over the
 * configured maximum, an order item with count <= 0 or cost < 0"). Lexical checks (is it an xs:int at
 * all?) happen earlier, in the SOAP layer, and give a Client fault instead.
 */
import type { OrderItem } from '../base/types.js';
import { compareDecimal, decimalTimesInt } from '../base/decimal.js';

export const UID_MAX_CHARS = 128;
export const ORDER_MAX_ITEMS = 500;
export const ITEM_ID_MAX_CHARS = 128;
export const ITEM_NAME_MAX_CHARS = 512;

export interface PayRequest {
  uid: string;
  amount: number;
  order: OrderItem[];
}

export interface PayLimits {
  maxAmount: number;
}

/** Control characters other than tab/newline make a uid or name unreadable in 1C and in logs. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

function charCount(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

export function validUid(uid: string): boolean {
  return uid.trim() !== '' && charCount(uid) <= UID_MAX_CHARS && !CONTROL.test(uid) && !/[\r\n\t]/.test(uid);
}

/** Returns null when the request is acceptable, otherwise a one-line reason (for the log). */
export function checkPayRequest(req: PayRequest, limits: PayLimits): string | null {
  if (!validUid(req.uid)) return 'uid empty, over-long or with control characters';
  if (!Number.isSafeInteger(req.amount) || req.amount <= 0) return 'amount must be > 0';
  if (req.amount > limits.maxAmount) return `amount over the configured maximum ${limits.maxAmount}`;
  if (req.order.length > ORDER_MAX_ITEMS) return `more than ${ORDER_MAX_ITEMS} order items`;
  for (const [i, item] of req.order.entries()) {
    if (compareDecimal(item.count, '0') <= 0) return `order item ${i + 1}: count must be > 0`;
    if (!Number.isSafeInteger(item.cost) || item.cost < 0) return `order item ${i + 1}: cost must be >= 0`;
    if (charCount(item.id) > ITEM_ID_MAX_CHARS || CONTROL.test(item.id)) return `order item ${i + 1}: id over-long or with control characters`;
    if (charCount(item.name) > ITEM_NAME_MAX_CHARS || CONTROL.test(item.name)) return `order item ${i + 1}: name over-long or with control characters`;
  }
  return null;
}

/** Sum of count x cost, rounded half up to whole kopecks (recorded beside `amount`, never compared). */
export function orderTotal(order: OrderItem[]): number {
  let total = 0n;
  let scale = 0;
  const parts = order.map((it) => decimalTimesInt(it.count, it.cost));
  for (const p of parts) scale = Math.max(scale, p.scale);
  for (const p of parts) total += p.units * 10n ** BigInt(scale - p.scale);
  const div = 10n ** BigInt(scale);
  const rounded = (total * 2n + div) / (2n * div);
  return Number(rounded);
}
