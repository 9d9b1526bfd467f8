/**
 * `paypoint settle` on a data directory (daemon stopped): the list of what is owed and of unknown card
 * outcomes, recording a settlement (appended, never deleting anything), and refusals with numbered
 * codes that write nothing, in English and Russian.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, tempDir } from '../helpers/daemon.js';

function cli(args: string[], lang = 'C') {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, LANG: lang, LC_ALL: '', LC_MESSAGES: '' } });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

const T0 = Date.UTC(2026, 10, 29, 10, 0, 0);

/** A data directory as the daemon leaves it: a paid session whose change could not all be paid out,
 *  a coin taken outside a session and not given back, a card operation nobody can learn. */
function unit(): string {
  const dir = tempDir('pp-settle-');
  const session = {
    _id: 's1', kind: 'session', uid: 'u-rest', amount: 1500, order: [], orderTotal: 0, state: 'paid', createdAt: T0, updatedAt: T0 + 9, lastActivityAt: T0,
    timeoutMs: 120000, credits: [{ source: 'bill', value: 5000, device: 'bill', ref: 'b', at: T0 }], credited: 5000, payType: 0,
    card: { opId: null, offers: 0, declines: 0, lastDecline: null, approvalRef: null }, cancelRequested: null, cancelReason: null,
    payout: { purpose: 'change', due: 3500, paid: 3000, rest: 500, active: false }, finishedAt: T0 + 9, report: null, version: 5, outbox: null,
  };
  const credit = { _id: 'c1', kind: 'unattributed', source: 'coin', value: 1000, device: 'coin', ref: 'r', at: T0 + 20, reason: 'no session in progress', refunded: 0, rest: 1000, done: true };
  writeFileSync(join(dir, 'sessions.db'), JSON.stringify(session) + '\n' + JSON.stringify(credit) + '\n');
  writeFileSync(join(dir, 'vtk-ops.json'), JSON.stringify({ version: 1, lastOpNumber: 9, ops: [
    { opId: 'x-c1', opNumber: 7, amount: 2500, state: 'done', result: 'unresolvable', at: T0 + 30 },
    { opId: 'y-c1', opNumber: 8, amount: 700, state: 'done', result: 'late-reversed', finAmount: 0, lateAmount: 700, ref: '900000000008', at: T0 + 40 },
  ] }));
  return dir;
}

t.test('the list: rest owed, money outside a session, a card outcome nobody can learn; late approvals reversed counted apart', async (t) => {
  const dir = unit();
  const r = cli(['settle', '--data-dir', dir]);
  t.equal(r.status, 0, r.err);
  const lines = r.out.split('\n');
  t.equal(lines[0], 'open: 3');
  t.match(lines[1], /^ {2}rest:s1\t2026-11-29 10:00:00Z\tu-rest\t5,00 ₽\tchange or refund owed\tchange not paid out\t\[paid\|refunded\]$/);
  t.match(lines[2], /^ {2}credit:c1\t.*\t-\t10,00 ₽\tmoney outside a session owed/);
  t.match(lines[3], /^ {2}card:x-c1\t.*\t25,00 ₽\tcard outcome unknown\tcard operation 7: outcome unknown\t\[charged\|refunded\]$/);
  t.match(r.out, /late card approvals reversed with FIN 0 .*: 1/);
  const ru = cli(['settle', '--data-dir', dir, '--all'], 'ru_RU.UTF-8');
  t.match(ru.out, /^открыто: 3\n/);
  t.match(ru.out, /не выдана сдача или возврат/);
  t.match(ru.out, /поздние одобрения по карте, отменённые FIN 0 .*: 1\n {2}card:y-c1\t.*\t8\t7,00 ₽\t900000000008/);
});

t.test('settling appends a record, the case moves to settled, nothing else changes; a second settlement is refused', async (t) => {
  const dir = unit();
  const before = readFileSync(join(dir, 'sessions.db'), 'utf8');
  const r = cli(['settle', 'rest:s1', 'paid', '--by', 'Иван Петров', '--note', 'paid from the till', '--data-dir', dir]);
  t.equal(r.status, 0, r.err);
  t.equal(r.out, 'recorded: rest:s1 paid to the customer (5,00 ₽) by Иван Петров\n');
  const ledger = readFileSync(join(dir, 'settlements.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  t.match(ledger, [{ kind: 'settlement', caseId: 'rest:s1', how: 'paid', amount: 500, by: 'Иван Петров', note: 'paid from the till' }]);
  t.equal(readFileSync(join(dir, 'sessions.db'), 'utf8'), before, 'the session record is not touched');
  const l = JSON.parse(cli(['settle', '--data-dir', dir, '--json']).out);
  t.same(l.open.map((c: { id: string }) => c.id), ['credit:c1', 'card:x-c1']);
  t.match(l.settled, [{ id: 'rest:s1', uid: 'u-rest', settlement: { how: 'paid' } }]);
  const again = cli(['settle', 'rest:s1', 'refunded', '--by', 'other', '--data-dir', dir]);
  t.equal(again.status, 1);
  t.match(again.err, /^error 312: rest:s1 is already settled \(paid to the customer, by Иван Петров\)/);
  const ru = cli(['settle', 'rest:s1', 'refunded', '--by', 'other', '--data-dir', dir], 'ru_RU.UTF-8');
  t.match(ru.err, /^error 312: rest:s1 уже урегулирован \(выдано покупателю, Иван Петров\)/);
  t.equal(readFileSync(join(dir, 'settlements.jsonl'), 'utf8').trim().split('\n').length, 1, 'refused: nothing appended');
});

t.test('refusals: numbered, exit 1 (or 2 for usage), nothing written', async (t) => {
  const dir = unit();
  const cases: Array<[string[], number, RegExp]> = [
    [['settle', 'rest:nope', 'paid', '--by', 'a'], 1, /^error 311: no case rest:nope \(see the list: paypoint settle\)\n$/],
    [['settle', 'rest:s1', 'charged', '--by', 'a'], 1, /^error 313: rest:s1: HOW must be paid\|refunded\n$/],
    [['settle', 'card:x-c1', 'paid', '--by', 'a'], 1, /^error 313: card:x-c1: HOW must be charged\|refunded\n$/],
    [['settle', 'rest:s1', 'lost', '--by', 'a'], 1, /^error 313: rest:s1: HOW must be paid\|refunded\|charged\n$/],
    [['settle', 'rest:s1', 'paid', '--by', 'a\u0007'], 1, /^error 314: --by: /],
    [['settle', 'rest:s1', 'paid', '--by', 'a', '--note', 'x'.repeat(300)], 1, /^error 314: --note: /],
    [['settle', 'rest:s1', 'paid'], 2, /^--by NAME is required to settle a case \(see: paypoint settle --help\)\n$/],
    [['settle', 'rest:s1'], 2, /^give CASE and HOW together, or neither \(to list\)/],
  ];
  for (const [args, status, err] of cases) {
    const r = cli([...args, '--data-dir', dir]);
    t.equal(r.status, status, args.join(' '));
    t.match(r.err, err, args.join(' '));
  }
  t.notOk(existsSync(join(dir, 'settlements.jsonl')), 'no ledger written by any refusal');
  const ru = cli(['settle', 'rest:nope', 'paid', '--by', 'a', '--data-dir', dir], 'ru_RU.UTF-8');
  t.equal(ru.err, 'error 311: нет случая rest:nope (список: paypoint settle)\n');
});

t.test('a torn last line in the ledger (power cut mid-append) is set aside and does not swallow the next record', async (t) => {
  const dir = unit();
  t.equal(cli(['settle', 'rest:s1', 'paid', '--by', 'a', '--data-dir', dir]).status, 0);
  writeFileSync(join(dir, 'settlements.jsonl'), readFileSync(join(dir, 'settlements.jsonl'), 'utf8') + '{"_id":"torn","kind":"settlem', { flag: 'w' });
  const r = cli(['settle', 'credit:c1', 'paid', '--by', 'b', '--data-dir', dir]);
  t.equal(r.status, 0, r.err);
  const l = JSON.parse(cli(['settle', '--data-dir', dir, '--json']).out);
  t.same(l.settled.map((c: { id: string }) => c.id).sort(), ['credit:c1', 'rest:s1']);
});
