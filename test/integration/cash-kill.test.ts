/**
 * Kill test of the cash inventory (docs/design.md, "Cash inventory"): the REAL daemon takes payments in
 * coins and bills with change, collections and refills (over the status port, as `paypoint cash` sends
 * them), and is SIGKILLed at random moments, on the same data directory across restarts. After each kill,
 * from the datafile alone:
 *  - every collection and refill the daemon answered 200 for is stored;
 *  - the stored inventory (the newest ledger stamp) equals what the documents themselves say, per
 *    denomination: cassette = bills taken - bills collected, box = coins taken - coins collected,
 *    hoppers = coins refilled (and the opening count) - coins paid out. A ledger written apart from the
 *    sessions would break this at a kill between the two writes.
 * CASH_KILLS (default 12) and CASH_KILL_SEED change the run.
 */
import { rng } from '../helpers/rng.js';
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { sendSimCommand } from '../../src/cli/sim-client.js';
import { addCounts, creditMoves, type CashInventory, type Counts } from '../../src/payment/cash-inventory.js';
import { simSocketPath } from '../../src/services/sim-control/sim-control-protocol.js';
import { readDatafile } from '../../src/services/store/session-file-reader.js';
import { BIN, freePort, payXml, pollXml, returnCode, soapPost, tempDir } from '../helpers/daemon.js';

const SEED = Number(process.env.CASH_KILL_SEED ?? Date.now() % 2 ** 31);
const KILLS = Number(process.env.CASH_KILLS ?? 12);
const SECRET = 'kill-test-secret';
t.setTimeout(600_000);


function postCash(port: number, action: 'collect' | 'refill', body: object): Promise<{ status: number; body: string }> {
  const data = JSON.stringify(body);
  return new Promise((res, rej) => {
    const req = request(
      { host: '127.0.0.1', port, path: `/api/cash/${action}`, method: 'POST', headers: { 'Content-Type': 'application/json', 'X-PayPoint-Admin-Secret': SECRET } },
      (r) => {
        let b = '';
        r.on('data', (d) => (b += d));
        r.on('end', () => res({ status: r.statusCode ?? 0, body: b }));
      },
    );
    req.on('error', rej);
    req.end(data);
  });
}

/** The inventory the documents say, independently of any ledger stamp. */
function replay(dataDir: string): { stored: CashInventory; derived: CashInventory; ids: Set<string> } {
  const snap = readDatafile(dataDir);
  let bills: Counts = {};
  let coins: Counts = {};
  let dispensed: Counts = {};
  const add = (m: ReturnType<typeof creditMoves>) => {
    bills = addCounts(bills, m.bills);
    coins = addCounts(coins, m.coins);
    dispensed = addCounts(dispensed, m.dispensed);
  };
  for (const s of snap.sessions) add(creditMoves(s.credits, s.payout?.coins));
  for (const u of snap.unattributed) add(creditMoves([{ source: u.source, value: u.value }], u.coins));
  let cassette = bills;
  let box = coins;
  let hoppers: Counts = addCounts({}, dispensed, -1);
  for (const r of snap.cash) {
    if (r.collection) {
      cassette = addCounts(cassette, r.collection.counted.cassette, -1);
      box = addCounts(box, r.collection.counted.box, -1);
    }
    if (r.added) hoppers = addCounts(hoppers, r.added);
  }
  return { stored: snap.ledger.inventory, derived: { cassette, box, hoppers }, ids: new Set(snap.cash.map((r) => r._id)) };
}

t.test(`${KILLS} SIGKILLs during payments, collections and refills: the inventory always agrees with the documents`, async (t) => {
  const rnd = rng(SEED);
  t.comment(`seed ${SEED} (CASH_KILL_SEED=${SEED} repeats this run)`);
  const dataDir = tempDir();
  const port = await freePort();
  const statusPort = await freePort();
  const cfg = join(tempDir('paypoint-cfg-'), 'paypoint.toml');
  writeFileSync(
    cfg,
    `[status]\nport = ${statusPort}\nbind = "127.0.0.1"\n[led]\nenabled = false\n[unit]\nadmin_secret_sha256 = "${createHash('sha256').update(SECRET).digest('hex')}"\n` +
      `[devices]\ncard = "none"\n[devices.sim]\nhopper_coins = [1000, 500, 100]\nhopper_fill = [60, 60, 60]\n`,
  );
  const acked: string[] = [];
  const counts = { payments: 0, collections: 0, refills: 0, refused: 0, killedIn: { pay: 0, collect: 0, refill: 0 } };
  const problems: string[] = [];
  let uids = 0;

  for (let round = 0; round < KILLS; round++) {
    const child: ChildProcess = spawn(process.execPath, [BIN, 'serve', '--config', cfg, '--data-dir', dataDir, '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<void>((r) => child.on('exit', () => r()));
    let ready = false;
    await new Promise<void>((res) => {
      let buf = '';
      child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        if (!ready && buf.includes('"msg":"ready"')) {
          ready = true;
          res();
        }
      });
      void exited.then(() => res());
    });
    if (!ready) {
      problems.push(`round ${round}: the daemon did not start`);
      break;
    }
    let alive = true;
    let doing: 'pay' | 'collect' | 'refill' = 'pay';
    let aimed = false;
    const killAt = 150 + rnd() * 1500;
    const killer = setTimeout(() => {
      alive = false;
      counts.killedIn[doing]++;
      child.kill('SIGKILL');
    }, killAt);
    const sock = simSocketPath(dataDir, port);
    try {
      while (alive) {
        const r = rnd();
        // Every third round the kill is aimed at a collection or refill in flight (0-4 ms after it is sent).
        const aim = () => {
          if (round % 3 !== 2 || aimed) return;
          aimed = true;
          clearTimeout(killer);
          setTimeout(() => {
            alive = false;
            counts.killedIn[doing]++;
            child.kill('SIGKILL');
          }, rnd() * 4);
        };
        if (r < 0.5) {
          doing = 'pay';
          const uid = `k${round}-${uids++}`;
          const amount = 100 * (1 + Math.floor(rnd() * 150));
          if (returnCode((await soapPost(`http://127.0.0.1:${port}/`, payXml(uid, amount))).body) !== 0) {
            // A session resumed after the last kill is still open: the customer cancels it.
            await sendSimCommand(sock, { cmd: 'cancel' }, 5000);
            await new Promise((res) => setTimeout(res, 50));
            continue;
          }
          counts.payments++;
          let paid = 0;
          while (alive && paid < amount) {
            const bill = rnd() < 0.4;
            const value = bill ? [5000, 10000][Math.floor(rnd() * 2)] : [100, 500, 1000][Math.floor(rnd() * 3)];
            const reply = await sendSimCommand(sock, { cmd: bill ? 'bill' : 'coin', value }, 5000);
            if (reply.ok) paid += value;
            else if (!bill) break;
          }
          if (paid < amount && alive) await sendSimCommand(sock, { cmd: 'cancel' }, 5000);
          for (let i = 0; alive && i < 100; i++) {
            const code = returnCode((await soapPost(`http://127.0.0.1:${port}/`, pollXml(uid))).body);
            if (code === 0 || code === 2) break;
            await new Promise((res) => setTimeout(res, 20));
          }
        } else if (r < 0.75) {
          doing = 'collect';
          aim();
          const res = await postCash(statusPort, 'collect', { declared: { 5000: Math.floor(rnd() * 3) } });
          if (res.status === 200) {
            acked.push((JSON.parse(res.body) as { record: { _id: string } }).record._id);
            counts.collections++;
          } else {
            counts.refused++;
            await new Promise((res) => setTimeout(res, 50));
          }
        } else {
          doing = 'refill';
          aim();
          const res = await postCash(statusPort, 'refill', { added: { 1000: Math.floor(rnd() * 10), 100: 1 + Math.floor(rnd() * 10) } });
          if (res.status === 200) {
            acked.push((JSON.parse(res.body) as { record: { _id: string } }).record._id);
            counts.refills++;
          } else {
            counts.refused++;
            await new Promise((res) => setTimeout(res, 50));
          }
        }
      }
    } catch {
      // the kill cut a request: never acknowledged
    }
    clearTimeout(killer);
    if (alive) child.kill('SIGKILL');
    await exited;

    const { stored, derived, ids } = replay(dataDir);
    const lost = acked.filter((id) => !ids.has(id));
    if (lost.length) problems.push(`round ${round}: acknowledged cash records missing: ${lost.join(', ')}`);
    if (JSON.stringify(stored) !== JSON.stringify(derived)) {
      problems.push(`round ${round}: stored inventory ${JSON.stringify(stored)} != documents ${JSON.stringify(derived)}`);
    }
  }
  t.comment(`payments ${counts.payments}, collections ${counts.collections}, refills ${counts.refills}, refused (payment open) ${counts.refused}, kills during pay/collect/refill ${JSON.stringify(counts.killedIn)}`);
  t.same(problems, [], 'no acknowledged record lost, inventory and documents agree after every kill');
  t.ok(counts.collections + counts.refills > 0, 'collections or refills happened');
});
