/**
 * DurableAppender (base/fsync.ts): each append is durable when it resolves because the kept-open
 * descriptor is O_DSYNC (no fdatasync follows the write). What the kernel holds for that descriptor is
 * read back from /proc/self/fdinfo, so a descriptor opened without O_DSYNC is caught here; the order
 * against the answer is test/integration/fsync-order.test.ts, the power cut test/vm (powercut-nbd).
 */
import t from 'tap';
import { constants as fsConstants, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DurableAppender } from '../../src/base/fsync.js';

/** The open flags of this process's descriptors on `path` (octal `flags:` of /proc/self/fdinfo). */
function flagsOf(path: string): number[] {
  const out: number[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    let target = '';
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue; // closed meanwhile (readdir's own descriptor)
    }
    if (target !== path) continue;
    const m = /^flags:\s+([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
    if (m) out.push(parseInt(m[1], 8));
  }
  return out;
}

t.test('the kept-open descriptor is write-only, O_APPEND and O_DSYNC, new file or existing', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'paypoint-appender-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, existing] of [['new.jsonl', false], ['old.jsonl', true]] as const) {
    const path = join(dir, name);
    if (existing) writeFileSync(path, 'x\n');
    const a = new DurableAppender(path);
    await a.append('{"a":1}\n');
    const flags = flagsOf(path);
    t.equal(flags.length, 1, `${name}: one descriptor kept open`);
    t.ok(flags[0] & fsConstants.O_DSYNC, `${name}: O_DSYNC (flags ${flags[0]?.toString(8)})`);
    t.ok(flags[0] & fsConstants.O_APPEND, `${name}: O_APPEND`);
    t.equal(flags[0] & 3, fsConstants.O_WRONLY, `${name}: write-only`);
    await a.append('{"b":"é"}\n');
    t.equal(readFileSync(path, 'utf8'), (existing ? 'x\n' : '') + '{"a":1}\n{"b":"é"}\n', `${name}: both lines appended in order`);
    t.equal(await a.size(), Buffer.byteLength(readFileSync(path)), `${name}: the size it knows is the file's`);
    await a.close();
    t.same(flagsOf(path), [], `${name}: close() drops the descriptor`);
    await a.append('{"c":3}\n');
    t.match(readFileSync(path, 'utf8'), /\{"c":3\}\n$/, `${name}: after close() the next append reopens and lands at the end`);
    await a.close();
  }
});
