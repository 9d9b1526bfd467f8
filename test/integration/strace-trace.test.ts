/**
 * The strace parser and the order proof used by fsync-order.test.ts, on hand-written traces: a proof
 * that cannot fail proves nothing, so the wrong orders must be caught (reply before the fdatasync
 * completes, a sync of another file, a failed sync, no datafile write at all).
 */
import t from 'tap';
import { parseStrace, provenOrder, type Syscall } from './strace-trace.js';

const DB = '/tmp/d/sessions.db';
const CONN = 'TCP:[127.0.0.1:8080->127.0.0.1:50000]';

function trace(lines: string[]): Syscall[] {
  return parseStrace(lines.join('\n') + '\n');
}

const REQ = `100 10:00:00.000001 read(21<${CONN}>, "POST / HTTP/1.1\\r\\n...<p:uid>U1</p:uid>...", 65536) = 400`;
const WRITE_DB = `105 10:00:00.000010 write(23<${DB}>, "{\\"_id\\":\\"x\\",\\"uid\\":\\"U1\\"}\\n", 30) = 30`;
const REPLY = `100 10:00:00.000030 writev(21<${CONN}>, [{iov_base="HTTP/1.1 200 OK\\r\\n", iov_len=17}], 1) = 17`;

function check(calls: Syscall[]): string | null {
  const req = calls.find((c) => c.name === 'read' && c.args.includes('<p:uid>U1</p:uid>'))!;
  return provenOrder(calls, req, '\\"uid\\":\\"U1\\"', DB).problem;
}

t.test('unfinished/resumed halves on threadpool threads are joined', async (t) => {
  const calls = trace([
    REQ,
    WRITE_DB,
    `106 10:00:00.000011 fdatasync(24<${DB}> <unfinished ...>`,
    `100 10:00:00.000012 write(5<anon_inode:[eventfd]>, "\\1\\0\\0\\0\\0\\0\\0\\0", 8) = 8`,
    `106 10:00:00.000020 <... fdatasync resumed>) = 0`,
    '106 10:00:00.000021 +++ exited with 0 +++',
    REPLY,
  ]);
  const sync = calls.find((c) => c.name === 'fdatasync')!;
  t.equal(sync.tid, 106);
  t.equal(sync.fd, 24);
  t.equal(sync.fdDesc, DB);
  t.equal(sync.ret, '0');
  t.equal(sync.startTime, '10:00:00.000011');
  t.equal(sync.endTime, '10:00:00.000020');
  t.ok(sync.endLine > sync.startLine);
  t.equal(calls.find((c) => c.name === 'writev')!.fdDesc, CONN);
  t.equal(check(calls), null, 'the right order is proven');
});

t.test('a reply written while the fdatasync is still running is caught', async (t) => {
  const calls = trace([REQ, WRITE_DB, `106 10:00:00.000011 fdatasync(24<${DB}> <unfinished ...>`, REPLY, `106 10:00:00.000040 <... fdatasync resumed>) = 0`]);
  t.match(check(calls), /before the fdatasync completed/);
});

t.test('a reply before the datafile write, a sync of another file, a failed sync, no write: all caught', async (t) => {
  t.match(check(trace([REQ, REPLY, WRITE_DB, `106 10:00:00.000040 fdatasync(24<${DB}>) = 0`])), /after the reply/);
  t.match(check(trace([REQ, WRITE_DB, `106 10:00:00.000011 fdatasync(25</tmp/d/journal/x.jsonl>) = 0`, REPLY])), /no successful fdatasync/);
  t.match(check(trace([REQ, WRITE_DB, `106 10:00:00.000011 fdatasync(24<${DB}>) = -1 EIO (Input/output error)`, REPLY])), /no successful fdatasync/);
  t.match(check(trace([REQ, `106 10:00:00.000011 fdatasync(24<${DB}>) = 0`, REPLY])), /no write of/);
  t.match(check(trace([REQ, WRITE_DB, `106 10:00:00.000011 fdatasync(24<${DB}>) = 0`])), /no reply/);
});

t.test('a reply on another connection does not count as this request\'s reply', async (t) => {
  const other = REPLY.replace(CONN, 'TCP:[127.0.0.1:8080->127.0.0.1:50001]').replace('writev(21', 'writev(22');
  const calls = trace([REQ, other, WRITE_DB, `106 10:00:00.000011 fdatasync(24<${DB}>) = 0`, REPLY]);
  t.equal(check(calls), null);
});

// The datafile's kept-open descriptor opened O_DSYNC (base/fsync.ts DurableAppender): the write itself is
// the durable point. WRITE_DB goes through descriptor 23.
const OPEN_DSYNC = `105 09:59:59.000001 openat(AT_FDCWD</w>, "${DB}", O_WRONLY|O_APPEND|O_DSYNC|O_CLOEXEC) = 23<${DB}>`;
const OPEN_PLAIN = `105 09:59:59.000001 openat(AT_FDCWD</w>, "${DB}", O_WRONLY|O_APPEND|O_CLOEXEC) = 23<${DB}>`;

t.test('a completed write on an O_DSYNC descriptor before the reply is proven durable', async (t) => {
  t.equal(check(trace([OPEN_DSYNC, REQ, WRITE_DB, REPLY])), null);
  // O_SYNC (O_DSYNC and more) too.
  t.equal(check(trace([OPEN_DSYNC.replace('O_DSYNC', 'O_SYNC'), REQ, WRITE_DB, REPLY])), null);
});

t.test('O_DSYNC proofs that must fail: no O_DSYNC, another descriptor, reopened without it, reply first, failed write', async (t) => {
  t.match(check(trace([OPEN_PLAIN, REQ, WRITE_DB, REPLY])), /no successful fdatasync .* not opened O_DSYNC/, 'a plain descriptor and no fdatasync');
  t.match(check(trace([OPEN_DSYNC.replace(' = 23<', ' = 25<'), REQ, WRITE_DB, REPLY])), /not opened O_DSYNC/, 'the O_DSYNC open returned another descriptor');
  t.match(check(trace([OPEN_DSYNC, OPEN_PLAIN.replace('09:59:59.000001', '09:59:59.000002'), REQ, WRITE_DB, REPLY])), /not opened O_DSYNC/, 'the last open of that descriptor had no O_DSYNC');
  t.match(check(trace([OPEN_DSYNC.replace(`"${DB}"`, '"/tmp/d/other.db"').replace(`<${DB}>`, '</tmp/d/other.db>'), REQ, WRITE_DB, REPLY])), /not opened O_DSYNC/, 'an O_DSYNC open of another file');
  const unfinished = `105 10:00:00.000010 write(23<${DB}>, "{\\"_id\\":\\"x\\",\\"uid\\":\\"U1\\"}\\n", 30 <unfinished ...>`;
  t.match(check(trace([OPEN_DSYNC, REQ, unfinished, REPLY, '105 10:00:00.000040 <... write resumed>) = 30'])), /before the O_DSYNC write of the datafile returned/, 'the reply while the write still runs');
  t.match(check(trace([OPEN_DSYNC, REQ, WRITE_DB.replace(') = 30', ') = -1 EIO (Input/output error)'), REPLY])), /O_DSYNC write of the datafile failed/, 'a failed write');
});
