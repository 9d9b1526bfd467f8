/** The list of open cases (owed change, money outside a session, unknown card outcomes) and settling them (pure). */
import t from 'tap';
import { ErrorCode, isPayPointError } from '../../src/errors.js';
import { caseList, makeSettlement, type CaseInputs, type Settlement } from '../../src/payment/open-cases.js';

const T0 = 1_700_000_000_000;
function inputs(settlements: Settlement[] = []): CaseInputs {
  return {
    sessions: [
      { _id: 's1', uid: 'u-rest', state: 'paid', createdAt: T0, finishedAt: T0 + 5, payout: { purpose: 'change', rest: 300 } },
      { _id: 's2', uid: 'u-fine', state: 'paid', createdAt: T0, finishedAt: T0 + 6, payout: { purpose: 'change', rest: 0 } },
      { _id: 's3', uid: 'u-busy', state: 'dispensing', createdAt: T0, finishedAt: null, payout: { purpose: 'change', rest: 100 } },
      { _id: 's4', uid: 'u-card', state: 'paying', createdAt: T0 + 1, finishedAt: null, payout: null },
    ],
    unattributed: [
      { _id: 'c1', source: 'coin', value: 1000, rest: 1000, at: T0 + 2, reason: 'no session in progress', done: true },
      { _id: 'c2', source: 'coin', value: 500, rest: 0, at: T0 + 3, reason: 'no session in progress', done: true },
      { _id: 'c3', source: 'coin', value: 500, rest: 0, at: T0 + 3, reason: 'no session in progress', done: false },
    ],
    cardOps: [
      { opId: 's4-c1', opNumber: 7, amount: 2500, state: 'requested', unlearnable: true, at: T0 + 4 },
      { opId: 'x-c1', opNumber: 5, amount: 900, state: 'done', result: 'unresolvable', at: T0 + 1 },
      { opId: 'y-c1', opNumber: 6, amount: 900, state: 'done', result: 'late-reversed', at: T0 + 1 },
      { opId: 'z-c1', opNumber: 8, amount: 900, state: 'requested', at: T0 + 1 },
    ],
    settlements,
  };
}

function code(fn: () => unknown): number | string {
  try {
    fn();
    return 'no error';
  } catch (e) {
    return isPayPointError(e) ? e.code : String(e);
  }
}

t.test('open cases: finished sessions with a rest, credits not given back, card outcomes nobody can learn', async (t) => {
  const l = caseList(inputs());
  t.same(
    l.open.map((c) => [c.id, c.kind, c.uid, c.amount]),
    [
      ['card:x-c1', 'card', null, 900],
      ['credit:c1', 'credit', null, 1000],
      ['card:s4-c1', 'card', 'u-card', 2500],
      ['rest:s1', 'rest', 'u-rest', 300],
    ],
  );
  t.same(l.settled, []);
});

t.test('a settlement moves a case to settled and keeps it; the first settlement counts', async (t) => {
  const s = makeSettlement(inputs(), { caseId: 'rest:s1', how: 'paid', by: 'Иван', note: 'cash from the till' }, 'st1', T0 + 10);
  t.same(s, { _id: 'st1', kind: 'settlement', caseId: 'rest:s1', how: 'paid', amount: 300, at: T0 + 10, by: 'Иван', note: 'cash from the till' });
  const l = caseList(inputs([s]));
  t.notOk(l.open.some((c) => c.id === 'rest:s1'));
  t.match(l.settled, [{ id: 'rest:s1', uid: 'u-rest', amount: 300, settlement: { how: 'paid', by: 'Иван' } }]);
  t.equal(code(() => makeSettlement(inputs([s]), { caseId: 'rest:s1', how: 'refunded', by: 'Пётр' }, 'st2', T0)), ErrorCode.SettleAlreadySettled);
});

t.test('a card outcome is settled as charged or refunded; the case stays listed after the driver settled it', async (t) => {
  const s = makeSettlement(inputs(), { caseId: 'card:s4-c1', how: 'charged', by: 'tech' }, 'st3', T0);
  t.equal(s.amount, 2500);
  const after = inputs([s]);
  after.cardOps[0] = { ...after.cardOps[0], state: 'done', result: 'settled-by-hand' };
  t.match(caseList(after).settled, [{ id: 'card:s4-c1', settlement: { how: 'charged' } }]);
});

t.test('bad input is refused with a numbered code', async (t) => {
  const i = inputs();
  t.equal(code(() => makeSettlement(i, { caseId: 'rest:nope', how: 'paid', by: 'a' }, 'x', T0)), ErrorCode.SettleNoSuchCase);
  t.equal(code(() => makeSettlement(i, { caseId: 'rest:s2', how: 'paid', by: 'a' }, 'x', T0)), ErrorCode.SettleNoSuchCase, 'nothing owed on s2');
  t.equal(code(() => makeSettlement(i, { caseId: 'rest:s3', how: 'paid', by: 'a' }, 'x', T0)), ErrorCode.SettleNoSuchCase, 'still paying out: not a case yet');
  t.equal(code(() => makeSettlement(i, { caseId: 'card:z-c1', how: 'charged', by: 'a' }, 'x', T0)), ErrorCode.SettleNoSuchCase, 'still being asked: not a case');
  t.equal(code(() => makeSettlement(i, { caseId: 'card:y-c1', how: 'charged', by: 'a' }, 'x', T0)), ErrorCode.SettleNoSuchCase, 'a late approval reversed is not a case');
  t.equal(code(() => makeSettlement(i, { caseId: 'rest:s1', how: 'charged', by: 'a' }, 'x', T0)), ErrorCode.SettleWrongHow, 'change owed is not "charged"');
  t.equal(code(() => makeSettlement(i, { caseId: 'card:x-c1', how: 'paid', by: 'a' }, 'x', T0)), ErrorCode.SettleWrongHow);
  t.equal(code(() => makeSettlement(i, { caseId: 'rest:s1', how: 'lost', by: 'a' }, 'x', T0)), ErrorCode.SettleWrongHow);
  t.equal(code(() => makeSettlement(i, { caseId: 'rest:s1', how: 'paid', by: '' }, 'x', T0)), ErrorCode.SettleBadInput);
  t.equal(code(() => makeSettlement(i, { caseId: 'rest:s1', how: 'paid', by: 'a\nb' }, 'x', T0)), ErrorCode.SettleBadInput);
  t.equal(code(() => makeSettlement(i, { caseId: 'rest:s1', how: 'paid', by: 'a', note: 'x'.repeat(201) }, 'x', T0)), ErrorCode.SettleBadInput);
});
