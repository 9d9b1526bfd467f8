/** The checks of Pay's values that answer -1 (contract 1). */
import t from 'tap';
import { checkPayRequest, orderTotal, UID_MAX_CHARS, ORDER_MAX_ITEMS } from '../../src/payment/pay-request.js';
import { canonicalDecimal, compareDecimal } from '../../src/base/decimal.js';

const ok = { uid: 'u', amount: 100, order: [] };
const lim = { maxAmount: 10_000 };

t.test('valid requests pass', async (t) => {
  t.equal(checkPayRequest(ok, lim), null);
  t.equal(checkPayRequest({ ...ok, uid: '26.11.2026 17:38:01' }, lim), null, 'a 1C date string as uid (the wiki example)');
  t.equal(checkPayRequest({ ...ok, uid: 'ы'.repeat(UID_MAX_CHARS) }, lim), null, 'length is counted in characters');
  t.equal(checkPayRequest({ ...ok, amount: 10_000 }, lim), null, 'the maximum itself');
  t.equal(checkPayRequest({ ...ok, order: [{ id: '', name: '', count: '0.001', cost: 0 }] }, lim), null, 'cost 0 allowed, tiny count allowed');
});

t.test('each invalid value gives a reason (-1)', async (t) => {
  const bad = [
    { ...ok, uid: '' },
    { ...ok, uid: '   ' },
    { ...ok, uid: 'x'.repeat(UID_MAX_CHARS + 1) },
    { ...ok, uid: 'a\u0001b' },
    { ...ok, uid: 'a\nb' },
    { ...ok, amount: 0 },
    { ...ok, amount: -1 },
    { ...ok, amount: 10_001 },
    { ...ok, amount: 1.5 },
    { ...ok, order: [{ id: 'a', name: 'b', count: '0', cost: 1 }] },
    { ...ok, order: [{ id: 'a', name: 'b', count: '-1', cost: 1 }] },
    { ...ok, order: [{ id: 'a', name: 'b', count: '1', cost: -1 }] },
    { ...ok, order: Array.from({ length: ORDER_MAX_ITEMS + 1 }, () => ({ id: 'a', name: 'b', count: '1', cost: 1 })) },
  ];
  for (const b of bad) t.type(checkPayRequest(b, lim), 'string', JSON.stringify(b).slice(0, 60));
});

t.test('order total is exact decimal arithmetic', async (t) => {
  t.equal(orderTotal([]), 0);
  t.equal(orderTotal([{ id: '', name: '', count: '0.375', cost: 1000 }, { id: '', name: '', count: '2', cost: 200 }]), 775);
  t.equal(orderTotal([{ id: '', name: '', count: '0.1', cost: 3 }, { id: '', name: '', count: '0.2', cost: 3 }]), 1, '0.3 + 0.6 = 0.9 -> 1 (no float drift)');
  t.equal(canonicalDecimal('+007.500'), '7.5');
  t.equal(canonicalDecimal('.5'), '0.5');
  t.equal(compareDecimal('0.10', '0.1'), 0);
  t.equal(compareDecimal('-0', '0'), 0);
});
