/**
 * Parses `strace -f -tt -yy -s N -o FILE` output into completed system calls, in the order strace saw
 * them. With -f every line starts with the thread id; a call interrupted by another thread's is split
 * into `name(args <unfinished ...>` and `<... name resumed>rest) = ret`, and the two halves are joined
 * here. The order of lines is the order of events: a thread is stopped at each syscall entry and exit
 * until strace has printed it, so a call that completes before another thread is woken to make the next
 * one is printed first. (fdatasync runs on libuv's threadpool; the HTTP write on the main thread.)
 */
import { readFileSync } from 'node:fs';

export interface Syscall {
  tid: number;
  name: string;
  /** The text between the parentheses: arguments as strace printed them. */
  args: string;
  /** Return value text ("0", "312", "-1 ENOSPC (...)"), or null if the call never returned in the trace. */
  ret: string | null;
  /** Line index of the call's entry (where it started) and of its completion. */
  startLine: number;
  endLine: number;
  /** Timestamps (HH:MM:SS.micro) of entry and completion. */
  startTime: string;
  endTime: string;
  /** The first argument's descriptor: number and what -yy says it is (a path, TCP:[...], UNIX-STREAM:[...]). */
  fd: number | null;
  fdDesc: string | null;
}

const LINE = /^(\d+)\s+(\d\d:\d\d:\d\d\.\d+)\s+(.*)$/;
const UNFINISHED = /^(\w+)\((.*) <unfinished \.\.\.>$/;
const RESUMED = /^<\.\.\. (\w+) resumed>(.*)$/;
const COMPLETE = /^(\w+)\((.*)$/;

/** Splits "args) = ret" at the last ") = ". */
function splitRet(s: string): { args: string; ret: string | null } {
  const i = s.lastIndexOf(') = ');
  if (i < 0) return { args: s.replace(/\)\s*=\s*\?$/, ''), ret: null };
  return { args: s.slice(0, i), ret: s.slice(i + 4) };
}

function fdOf(args: string): { fd: number | null; fdDesc: string | null } {
  const m = /^(\d+)<(.*?)>(?:, |$)/.exec(args);
  if (!m) {
    const n = /^(\d+)(?:, |$)/.exec(args);
    return { fd: n ? Number(n[1]) : null, fdDesc: null };
  }
  return { fd: Number(m[1]), fdDesc: m[2] };
}

export function parseStrace(text: string): Syscall[] {
  const out: Syscall[] = [];
  const pending = new Map<number, { name: string; args: string; line: number; time: string }>();
  const lines = text.split('\n');
  lines.forEach((raw, idx) => {
    const m = LINE.exec(raw);
    if (!m) return;
    const tid = Number(m[1]);
    const time = m[2];
    const body = m[3];
    if (body.startsWith('---') || body.startsWith('+++')) return; // signals, exits
    let u: RegExpExecArray | null;
    if ((u = UNFINISHED.exec(body))) {
      pending.set(tid, { name: u[1], args: u[2], line: idx, time });
      return;
    }
    if ((u = RESUMED.exec(body))) {
      const p = pending.get(tid);
      pending.delete(tid);
      const { args, ret } = splitRet(u[2]);
      const all = (p?.args ?? '') + args;
      out.push({ tid, name: u[1], args: all, ret, startLine: p?.line ?? idx, endLine: idx, startTime: p?.time ?? time, endTime: time, ...fdOf(all) });
      return;
    }
    if ((u = COMPLETE.exec(body))) {
      const { args, ret } = splitRet(u[2]);
      out.push({ tid, name: u[1], args, ret, startLine: idx, endLine: idx, startTime: time, endTime: time, ...fdOf(args) });
    }
  });
  return out;
}

export function readStrace(file: string): Syscall[] {
  return parseStrace(readFileSync(file, 'utf8'));
}

export const WRITES = new Set(['write', 'writev', 'pwrite64', 'pwritev', 'pwritev2', 'sendto', 'sendmsg']);
export const READS = new Set(['read', 'readv', 'recvfrom', 'recvmsg', 'pread64']);
export const SYNCS = new Set(['fdatasync', 'fsync']);

/** The first call matching `pred` at or after line `from`. */
export function firstAfter(calls: Syscall[], from: number, pred: (c: Syscall) => boolean): Syscall | undefined {
  return calls.find((c) => c.startLine > from && pred(c));
}

/**
 * The descriptor `write` went through was opened with O_DSYNC (or O_SYNC): the last open of the datafile
 * before the write that returned the write's descriptor number says so. Such a write returns only once
 * its data is durable, as after fdatasync (POSIX synchronized I/O data integrity completion).
 */
export function openedDsync(calls: Syscall[], write: Syscall, datafile: string): Syscall | undefined {
  let open: Syscall | undefined;
  for (const c of calls) {
    if (c.startLine >= write.startLine) break;
    if ((c.name === 'openat' || c.name === 'open') && c.ret?.startsWith(`${write.fd}<${datafile}>`) && c.args.includes(`"${datafile}"`)) open = c;
  }
  return open && /\bO_D?SYNC\b/.test(open.args) ? open : undefined;
}

/**
 * Between a request read (`req`) and the first reply write on the same descriptor: a datafile write
 * containing `marker`, made durable before the reply: either a completed fdatasync/fsync of the datafile
 * after it, or the write itself, completed, on a descriptor opened O_DSYNC. Returns a description of
 * what is missing, or null when the order is proven.
 */
export function provenOrder(calls: Syscall[], req: Syscall, marker: string, datafile: string): { problem: string | null; detail: string } {
  const reply = firstAfter(calls, req.endLine, (c) => WRITES.has(c.name) && c.fd === req.fd && c.fdDesc === req.fdDesc);
  if (!reply) return { problem: 'no reply written on the connection', detail: '' };
  const data = calls.find((c) => WRITES.has(c.name) && c.fdDesc === datafile && c.startLine > req.endLine && c.args.includes(marker));
  if (!data) return { problem: `no write of ${marker} to the datafile after the request`, detail: '' };
  if (data.startLine > reply.startLine) return { problem: `the datafile write (${data.startTime}) came after the reply (${reply.startTime})`, detail: '' };
  const dsync = openedDsync(calls, data, datafile);
  if (dsync) {
    if (data.ret === null || data.ret.startsWith('-')) return { problem: `the O_DSYNC write of the datafile failed (${data.ret})`, detail: '' };
    if (data.endLine > reply.startLine) return { problem: `the reply (${reply.startTime}) was written before the O_DSYNC write of the datafile returned (${data.endTime})`, detail: '' };
    return {
      problem: null,
      detail: `request ${req.endTime} (tid ${req.tid}) -> datafile write on an O_DSYNC descriptor (opened ${dsync.endTime}) done ${data.endTime} (tid ${data.tid}) -> reply ${reply.startTime} (tid ${reply.tid})`,
    };
  }
  const sync = firstAfter(calls, data.endLine, (c) => SYNCS.has(c.name) && c.fdDesc === datafile && c.ret === '0');
  if (!sync) return { problem: 'no successful fdatasync of the datafile after its write, and its descriptor was not opened O_DSYNC', detail: '' };
  if (sync.endLine > reply.startLine) return { problem: `the reply (${reply.startTime}) was written before the fdatasync completed (${sync.endTime})`, detail: '' };
  return {
    problem: null,
    detail: `request ${req.endTime} (tid ${req.tid}) -> datafile write ${data.endTime} (tid ${data.tid}) -> ${sync.name} done ${sync.endTime} (tid ${sync.tid}) -> reply ${reply.startTime} (tid ${reply.tid})`,
  };
}
