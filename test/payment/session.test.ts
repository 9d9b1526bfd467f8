/** Unit tests of the pure session state machine (contract section 2). */
import t from 'tap';
import { ErrorCode, PayPointError } from '../../src/errors.js';
import { applyEvent, newSession, pollResult, resume, timedOut, type Session, type SessionSettings, type Transition } from '../../src/payment/session.js';

const settings: SessionSettings = { terminalId: 'T-1', timeoutMs: 120_000, reportCancelledWithCashKept: false, cardAvailable: true };
const noCard: SessionSettings = { ...settings, cardAvailable: false };
const T0 = 1_700_000_000_000;

function start(amount = 1000, s: SessionSettings = settings): Transition {
  return newSession({ uid: 'u1', amount, order: [{ id: 'a', name: 'Хлеб', count: '0.5', cost: 999 }] }, 'id1', T0, s);
}
function cash(sess: Session, value: number, at = T0 + 1000, s: SessionSettings = settings): Transition {
  return applyEvent(sess, { type: 'cash', source: value >= 5000 ? 'bill' : 'coin', value, device: 'd', ref: `r${value}` }, at, s);
}
function types(tr: Transition): string[] {
  return tr.effects.map((e) => e.type);
}

t.test('a new session enables cash and offers the card for exactly the amount', async (t) => {
  const tr = start(1500);
  t.equal(tr.session.state, 'paying');
  t.equal(pollResult(tr.session), 1);
  t.same(tr.effects, [{ type: 'enable-cash' }, { type: 'offer-card', amount: 1500 }]);
  t.equal(tr.session.orderTotal, 500, 'count 0.5 x cost 999 = 499.5, rounded half up');
  t.same(start(1500, noCard).effects, [{ type: 'enable-cash' }], 'no card reader: cash only');
});

t.test('exact cash pays the session with no change and a report', async (t) => {
  let s = start(1000).session;
  s = applyEvent(s, { type: 'card-offered', opId: 'c1' }, T0 + 10, settings).session;
  const a = cash(s, 500);
  t.equal(a.session.state, 'paying');
  t.same(types(a), ['cancel-card'], 'contract 2.2: first cash withdraws the card offer');
  const b = cash(a.session, 500, T0 + 2000);
  t.equal(b.session.state, 'paid');
  t.equal(pollResult(b.session), 0);
  t.same(types(b), ['disable-cash', 'finished']);
  t.same(b.session.report, {
    terminal_id: 'T-1',
    uid: 'u1',
    amount: 1000,
    pay_amount: 1000,
    charge_amount: 0,
    rest_amount: 0,
    pay_type: 0,
    order: [{ id: 'a', name: 'Хлеб', count: '0.5', cost: 999 }],
    time: Math.floor((T0 + 2000) / 1000),
  });
});

t.test('overpay dispenses the change coin by coin, then the session is paid', async (t) => {
  const a = cash(start(1500, noCard).session, 5000, T0 + 1000, noCard);
  t.equal(a.session.state, 'dispensing');
  t.equal(pollResult(a.session), 1, 'still in progress while change is paid out');
  t.same(a.effects, [{ type: 'disable-cash' }, { type: 'payout', amount: 3500 }]);
  let s = a.session;
  for (const v of [1000, 1000, 1000, 500]) s = applyEvent(s, { type: 'coin-out', value: v }, T0 + 1100, noCard).session;
  t.equal(s.payout!.paid, 3500);
  const done = applyEvent(s, { type: 'payout-done', requested: 3500, paid: 3500 }, T0 + 1200, noCard);
  t.equal(done.session.state, 'paid');
  t.equal(done.session.report!.pay_amount, 5000);
  t.equal(done.session.report!.charge_amount, 3500);
  t.equal(done.session.report!.rest_amount, 0);
});

t.test('the dispenser coming up short records the rest amount', async (t) => {
  let s = cash(start(1500, noCard).session, 5000, T0 + 1000, noCard).session;
  s = applyEvent(s, { type: 'coin-out', value: 1000 }, T0 + 1100, noCard).session;
  const done = applyEvent(s, { type: 'payout-done', requested: 3500, paid: 1000 }, T0 + 1200, noCard);
  t.equal(done.session.state, 'paid');
  t.equal(done.session.report!.rest_amount, 2500, 'contract 2.6: what could not be given');
  t.equal(done.session.report!.charge_amount, 3500);
});

t.test('a coin slipping in during the payout is paid out too', async (t) => {
  let s = cash(start(1000, noCard).session, 5000, T0 + 1000, noCard).session;
  s = cash(s, 100, T0 + 1050, noCard).session;
  t.equal(s.payout!.due, 4100);
  s = applyEvent(s, { type: 'coin-out', value: 4000 }, T0 + 1100, noCard).session;
  const next = applyEvent(s, { type: 'payout-done', requested: 4000, paid: 4000 }, T0 + 1200, noCard);
  t.equal(next.session.state, 'dispensing');
  t.same(next.effects, [{ type: 'payout', amount: 100 }]);
  const done = applyEvent(applyEvent(next.session, { type: 'coin-out', value: 100 }, T0 + 1300, noCard).session, { type: 'payout-done', requested: 100, paid: 100 }, T0 + 1400, noCard);
  t.equal(done.session.state, 'paid');
  t.equal(done.session.report!.pay_amount, 5100);
  t.equal(done.session.report!.charge_amount, 4100);
});

t.test('card approval pays the session with pay_type 1 and no change', async (t) => {
  let s = start(1500).session;
  s = applyEvent(s, { type: 'card-offered', opId: 'c1' }, T0 + 10, settings).session;
  const tr = applyEvent(s, { type: 'card-outcome', outcome: { opId: 'c1', result: 'approved', amount: 1500, ref: 'RRN1' } }, T0 + 20, settings);
  t.equal(tr.session.state, 'paid');
  t.equal(tr.session.report!.pay_type, 1);
  t.equal(tr.session.report!.pay_amount, 1500);
  t.equal(tr.session.report!.charge_amount, 0);
  t.equal(tr.session.card.approvalRef, 'RRN1');
});

t.test('a decline lets the customer try again, and then pay cash', async (t) => {
  let s = start(1500).session;
  s = applyEvent(s, { type: 'card-offered', opId: 'c1' }, T0 + 10, settings).session;
  const d = applyEvent(s, { type: 'card-outcome', outcome: { opId: 'c1', result: 'declined', reason: 'no funds' } }, T0 + 5000, settings);
  t.equal(d.session.state, 'paying');
  t.same(d.effects, [{ type: 'offer-card', amount: 1500 }], 'contract 2.3: offered again');
  t.equal(d.session.lastActivityAt, T0 + 5000, 'a decline is customer activity');
  t.equal(d.session.card.declines, 1);
  const c = cash(d.session, 2000, T0 + 6000);
  t.equal(c.session.state, 'dispensing');
});

t.test('a stale card answer changes nothing', async (t) => {
  let s = start(1500).session;
  s = applyEvent(s, { type: 'card-offered', opId: 'c2' }, T0 + 10, settings).session;
  const tr = applyEvent(s, { type: 'card-outcome', outcome: { opId: 'c1', result: 'cancelled' } }, T0 + 20, settings);
  t.equal(tr.session, s);
  t.throws(() => applyEvent(s, { type: 'card-outcome', outcome: { opId: 'c1', result: 'approved', amount: 1500, ref: 'x' } }, T0 + 20, settings), { code: ErrorCode.PaymentInvalidEvent }, 'an approval for an offer no longer out is not silently dropped');
});

t.test('cancel with no cash: cancelled at once', async (t) => {
  const tr = applyEvent(start(1000, noCard).session, { type: 'cancel', reason: 'button' }, T0 + 500, noCard);
  t.equal(tr.session.state, 'cancelled');
  t.equal(pollResult(tr.session), 2);
  t.equal(tr.session.report, null, 'cancelled sessions are not reported by default');
  t.same(types(tr), ['disable-cash', 'finished']);
});

t.test('cancel mid-cash gives the cash back; status 2 when done', async (t) => {
  let s = cash(start(5000, noCard).session, 1000, T0 + 1000, noCard).session;
  const c = applyEvent(s, { type: 'cancel', reason: 'button' }, T0 + 2000, noCard);
  t.equal(c.session.state, 'refunding');
  t.equal(pollResult(c.session), 1);
  t.same(c.effects, [{ type: 'disable-cash' }, { type: 'payout', amount: 1000 }]);
  s = applyEvent(c.session, { type: 'coin-out', value: 1000 }, T0 + 2100, noCard).session;
  const done = applyEvent(s, { type: 'payout-done', requested: 1000, paid: 1000 }, T0 + 2200, noCard);
  t.equal(done.session.state, 'cancelled');
  t.equal(done.session.cancelReason, 'button');
  t.equal(done.session.report, null);
});

t.test('cancelled with cash kept: reported only with the option on (contract 3)', async (t) => {
  const opt = { ...noCard, reportCancelledWithCashKept: true };
  const run = (s: SessionSettings) => {
    let x = cash(start(5000, s).session, 2000, T0 + 1000, s).session;
    x = applyEvent(x, { type: 'cancel', reason: 'timeout' }, T0 + 2000, s).session;
    x = applyEvent(x, { type: 'coin-out', value: 500 }, T0 + 2100, s).session;
    return applyEvent(x, { type: 'payout-done', requested: 2000, paid: 500 }, T0 + 2200, s).session;
  };
  t.equal(run(noCard).report, null);
  t.same(
    { ...run(opt).report!, order: undefined },
    { terminal_id: 'T-1', uid: 'u1', amount: 0, pay_amount: 2000, charge_amount: 2000, rest_amount: 1500, pay_type: 0, order: undefined, time: Math.floor((T0 + 2200) / 1000) },
  );
  // Fully refunded: nothing kept, nothing reported even with the option.
  let y = cash(start(5000, opt).session, 2000, T0 + 1000, opt).session;
  y = applyEvent(y, { type: 'cancel', reason: 'button' }, T0 + 2000, opt).session;
  y = applyEvent(y, { type: 'coin-out', value: 2000 }, T0 + 2100, opt).session;
  t.equal(applyEvent(y, { type: 'payout-done', requested: 2000, paid: 2000 }, T0 + 2200, opt).session.report, null);
});

t.test('cancel while the card module is authorising waits for its answer', async (t) => {
  let s = applyEvent(start(1500).session, { type: 'card-offered', opId: 'c1' }, T0 + 10, settings).session;
  const c = applyEvent(s, { type: 'cancel', reason: 'button' }, T0 + 100, settings);
  t.equal(c.session.state, 'paying', 'the card may be charged right now: not cancelled on a guess');
  t.equal(c.session.cancelRequested, 'button');
  t.same(c.effects, [{ type: 'disable-cash' }, { type: 'cancel-card', opId: 'c1' }]);
  const cancelled = applyEvent(c.session, { type: 'card-outcome', outcome: { opId: 'c1', result: 'cancelled' } }, T0 + 200, settings);
  t.equal(cancelled.session.state, 'cancelled');
  // The approval won the race: the session is paid, not cancelled.
  s = c.session;
  const approved = applyEvent(s, { type: 'card-outcome', outcome: { opId: 'c1', result: 'approved', amount: 1500, ref: 'R' } }, T0 + 200, settings);
  t.equal(approved.session.state, 'paid');
  t.equal(approved.session.report!.pay_type, 1);
});

t.test('inactivity timeout', async (t) => {
  const s = start(1000, noCard).session;
  t.notOk(timedOut(s, T0 + 119_999));
  t.ok(timedOut(s, T0 + 120_000));
  const c = cash(s, 500, T0 + 100_000, noCard).session;
  t.notOk(timedOut(c, T0 + 200_000), 'a credit restarts the inactivity clock');
  t.ok(timedOut(c, T0 + 220_000));
  const paid = cash(c, 500, T0 + 100_500, noCard).session;
  t.notOk(timedOut(paid, T0 + 999_999), 'a finished session never times out');
});

t.test('resume after restart: credit intact, or cancelled if the timeout passed', async (t) => {
  const s = cash(start(5000, noCard).session, 1000, T0 + 1000, noCard).session;
  const r = resume(s, T0 + 30_000, noCard);
  t.equal(r.session.credited, 1000);
  t.equal(r.session.state, 'paying');
  t.same(r.effects, [{ type: 'enable-cash' }], 'cash again; the card is not offered once cash was taken');
  const late = resume(s, T0 + 1000 + 120_000, noCard);
  t.equal(late.session.state, 'refunding');
  t.equal(late.session.cancelReason, 'restart-timeout');
  t.same(late.effects, [{ type: 'disable-cash' }, { type: 'payout', amount: 1000 }]);
});

t.test('resume mid-payout pays only what is still owed', async (t) => {
  let s = cash(start(1000, noCard).session, 5000, T0 + 1000, noCard).session;
  s = applyEvent(s, { type: 'coin-out', value: 1000 }, T0 + 1100, noCard).session;
  const r = resume(s, T0 + 500_000, noCard);
  t.same(r.effects, [{ type: 'payout', amount: 3000 }]);
  t.equal(r.session.state, 'dispensing', 'a payout is never cancelled by the timeout');
  const fin = resume({ ...s, payout: { ...s.payout!, paid: 4000 } }, T0 + 500_000, noCard);
  t.equal(fin.session.state, 'paid', 'all coins were out before the cut: finish');
  t.equal(resume(fin.session, T0 + 600_000, noCard).session, fin.session, 'a finished session is left alone');
});

t.test('events not allowed in a state are refused with a code and change nothing', async (t) => {
  const s = start(1000, noCard).session;
  const frozen = structuredClone(s);
  for (const ev of [
    { type: 'coin-out', value: 100 },
    { type: 'payout-done', requested: 1, paid: 1 },
    { type: 'cash', source: 'coin', value: 0, device: 'd', ref: 'r' },
    { type: 'cash', source: 'coin', value: -5, device: 'd', ref: 'r' },
  ] as const) {
    const err = t.throws(() => applyEvent(s, ev, T0, noCard)) as unknown as PayPointError;
    t.equal(err.code, ErrorCode.PaymentInvalidEvent, ev.type);
  }
  t.same(s, frozen, 'the input session is never mutated');
  const paid = cash(s, 1000, T0 + 1, noCard).session;
  t.throws(() => cash(paid, 100, T0 + 2, noCard), { code: ErrorCode.PaymentInvalidEvent }, 'no credit into a finished session');
  t.equal(applyEvent(paid, { type: 'cancel', reason: 'button' }, T0 + 3, noCard).session, paid, 'cancel after paid: nothing');
});
