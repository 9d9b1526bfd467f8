/**
 * The order of system calls (docs/design.md; contract 1: "0 is answered only after the session is
 * durably stored (fsync)"): the real daemon runs under strace, and the trace must show, for every Pay
 * that answered 0, the request read from its connection, then the session's line written to sessions.db,
 * made durable (an fdatasync of sessions.db completed, or the write itself returned on a descriptor
 * opened O_DSYNC: base/fsync.ts DurableAppender), and only then the first byte of the HTTP response written
 * to that connection. The same for a credit the simulator confirmed: the customer's coin read from the
 * control socket, the credit written and fdatasync'd, then the reply.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sendSimCommand } from '../../src/cli/sim-client.js';
import { simSocketPath } from '../../src/services/sim-control/sim-control-protocol.js';
import { payXml, returnCode, soapPost, startDaemonProcess, tempDir } from '../helpers/daemon.js';
import { READS, SYNCS, WRITES, firstAfter, provenOrder, readStrace, type Syscall } from './strace-trace.js';

const CONFIG = '[status]\nenabled = false\n[led]\nenabled = false\n[devices]\ncard = "none"\n';

function straceUsable(): string | null {
  const r = spawnSync('strace', ['-f', '-o', '/dev/null', '-e', 'trace=fdatasync', 'true'], { encoding: 'utf8' });
  if (r.error) return `strace not installed (${(r.error as NodeJS.ErrnoException).code})`;
  if (r.status !== 0) return `strace cannot trace here (ptrace not permitted?): ${r.stderr.trim().split('\n')[0]}`;
  return null;
}

const skip = straceUsable();

t.test('fdatasync of sessions.db comes before the answer (Pay 0, sim credit ack)', { skip: skip ?? false }, async (t) => {
  const traceFile = join(tempDir('paypoint-strace-'), 'trace.txt');
  const d = await startDaemonProcess({
    configText: CONFIG,
    wrapper: ['strace', '-f', '-tt', '-yy', '-s', '8192', '-e', 'trace=openat,open,fdatasync,fsync,write,writev,pwrite64,sendto,sendmsg,read,readv,recvfrom,recvmsg', '-o', traceFile],
  });
  const datafile = join(d.dataDir, 'sessions.db');
  const paid: string[] = [];
  const credits: Array<{ uid: string; credited: number }> = [];
  try {
    const sock = simSocketPath(d.dataDir, d.port);
    for (let i = 0; i < 3; i++) {
      const uid = `order-${process.pid}-${i}`;
      // One connection per request, so each request and its response share a descriptor no one else uses.
      const r = await soapPost(d.url, payXml(uid, 1500), { Connection: 'close' });
      t.equal(returnCode(r.body), 0, `Pay ${uid} answered 0`);
      paid.push(uid);
      let credited = 0;
      for (const coin of [100, 500]) {
        const reply = await sendSimCommand(sock, { cmd: 'coin', value: coin });
        t.ok(reply.ok, `coin ${coin} confirmed`);
        credited += coin;
        credits.push({ uid, credited });
      }
      t.ok((await sendSimCommand(sock, { cmd: 'cancel' })).ok, 'cancelled: the next Pay can start');
      // The refund runs after the cancel is stored; wait for the session to finish.
      for (let k = 0; k < 500; k++) {
        const st = await sendSimCommand(sock, { cmd: 'status' });
        if (st.ok && (st.data as { session: unknown }).session === null) break;
        await new Promise((res) => setTimeout(res, 10));
      }
    }
  } finally {
    // strace is the child; the daemon is its tracee (pid in the data directory's lock file). Stopping the
    // daemon makes strace exit after writing the whole trace.
    const pid = Number(readFileSync(join(d.dataDir, 'daemon.lock'), 'utf8').trim());
    process.kill(pid, 'SIGTERM');
    await new Promise<void>((res) => (d.child.exitCode !== null || d.child.signalCode !== null ? res() : d.child.on('exit', () => res())));
  }

  const calls = readStrace(traceFile);
  const dsyncOpen = (c: Syscall) => (c.name === 'openat' || c.name === 'open') && (c.ret ?? '').includes(`<${datafile}>`) && /\bO_D?SYNC\b/.test(c.args);
  t.ok(calls.some((c) => (SYNCS.has(c.name) && c.fdDesc === datafile) || dsyncOpen(c)), 'the trace shows sessions.db made durable at all: an fdatasync of it or an O_DSYNC open (fd paths resolved by -yy)');
  t.ok(calls.some((c) => c.tid !== calls[0].tid && (SYNCS.has(c.name) || (WRITES.has(c.name) && c.fdDesc === datafile))), 'durable writes ran on threadpool threads (the trace follows threads)');

  for (const uid of paid) {
    const req = calls.find((c) => READS.has(c.name) && c.fdDesc?.startsWith('TCP:') && c.args.includes(`<p:uid>${uid}</p:uid>`));
    if (!req) {
      t.fail(`Pay ${uid}: request not found in the trace`);
      continue;
    }
    const { problem, detail } = provenOrder(calls, req, `"uid":"${uid}"`.replace(/"/g, '\\"'), datafile);
    t.equal(problem, null, `Pay ${uid}: stored durably (fdatasync or O_DSYNC write) before the HTTP response`);
    if (detail) t.comment(`Pay ${uid}: ${detail}`);
    const reply = firstAfter(calls, req.endLine, (c) => WRITES.has(c.name) && c.fd === req.fd && c.fdDesc === req.fdDesc);
    t.match(reply?.args ?? '', /HTTP\/1\.1 200/, 'that first write is the response');
  }

  // Each coin: the request line on the control socket, then the session line with the new credit total.
  const coinReads = calls.filter((c) => READS.has(c.name) && c.fdDesc?.startsWith('UNIX-STREAM:') && c.args.includes('\\"cmd\\":\\"coin\\"'));
  t.equal(coinReads.length, credits.length, 'every coin command is in the trace');
  coinReads.forEach((req, i) => {
    const { uid, credited } = credits[i];
    const { problem, detail } = provenOrder(calls, req, `\\"credited\\":${credited},`, datafile);
    t.equal(problem, null, `credit ${i} (${uid}, total ${credited}): stored durably (fdatasync or O_DSYNC write) before the simulator's ack`);
    if (detail) t.comment(`credit ${i}: ${detail}`);
    const reply = firstAfter(calls, req.endLine, (c) => WRITES.has(c.name) && c.fd === req.fd && c.fdDesc === req.fdDesc);
    t.match(reply?.args ?? '', /\\"ok\\":true/, 'that first write is the ok reply');
  });
});
