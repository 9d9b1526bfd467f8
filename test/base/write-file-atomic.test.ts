// writeFileAtomic (src/services/store/fsync.ts) gives the file exactly the mode asked for.
// Regression: under the USB import unit's UMask=0077 the new /etc/paypoint/paypoint.toml was written
// 0600 instead of 0640, the daemon (group paypoint) got EACCES on it and restarted until systemd's start
// limit rebooted the unit (found by the appliance boot test, test/image/boot-test.sh).
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../../src/base/fsync.js';

t.test('the mode is not masked by a restrictive umask', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'paypoint-wfa-'));
  const before = process.umask(0o077);
  t.teardown(() => {
    process.umask(before);
    rmSync(dir, { recursive: true, force: true });
  });
  const f = join(dir, 'paypoint.toml');
  await writeFileAtomic(f, 'a = 1\n', 0o640);
  t.equal(statSync(f).mode & 0o777, 0o640);
  t.equal(readFileSync(f, 'utf8'), 'a = 1\n');
  await writeFileAtomic(f, 'a = 2\n');
  t.equal(statSync(f).mode & 0o777, 0o600, 'the default stays private');
});
