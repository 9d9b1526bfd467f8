/**
 * The retry and fault state of a device that cannot be opened
 * (README.md, "Devices that cannot be opened"): the backoff's delays, the 506 fault naming the target,
 * the retries, the join that clears it.
 */
import t from 'tap';
import { ErrorCode, PayPointError } from '../../../src/errors.js';
import { MemoryLog } from '../../../src/drivers/driver-log.js';
import { Backoff, describeOpenFault, openError, Reopener } from '../../../src/drivers/late/reopen.js';
import { waitFor } from '../../helpers/wait.js';

t.test('the backoff doubles from the first delay up to the maximum, and starts over after a reset', async (t) => {
  const b = new Backoff({ firstMs: 2000, maxMs: 60_000 });
  t.same([1, 2, 3, 4, 5, 6, 7, 8].map(() => b.next()), [2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000]);
  t.equal(b.attempts, 8);
  b.reset();
  t.equal(b.next(), 2000);
  t.throws(() => new Backoff({ firstMs: 10, maxMs: 5 }), RangeError);
  t.throws(() => new Backoff({ firstMs: 0, maxMs: 5 }), RangeError);
});

t.test('the open error is 506 and names the target once', async (t) => {
  const cause = new PayPointError(ErrorCode.DeviceNotReady, 'cannot open /dev/ttyUSB9: Error: No such file or directory, cannot open /dev/ttyUSB9');
  const e = openError('card', '/dev/ttyUSB9', cause);
  t.equal(e.code, ErrorCode.DeviceUnavailable);
  t.equal(e.code, 506);
  t.equal(e.message, 'cannot open /dev/ttyUSB9: Error: No such file or directory, cannot open /dev/ttyUSB9');
  t.same(e.context, { device: 'card', target: '/dev/ttyUSB9', cause: ErrorCode.DeviceNotReady });
  t.equal(e.cause, cause);
});

t.test('a device that cannot be opened is faulted, retried on the backoff, and joins when it opens', async (t) => {
  const log = new MemoryLog();
  let fails = 3;
  const tries: number[] = [];
  const joined: string[] = [];
  const r = new Reopener<string>({
    name: 'bill-validator',
    target: '/dev/ttyUSB1',
    open: async () => {
      tries.push(Date.now());
      if (fails-- > 0) throw new Error('ENOENT: no such file or directory');
      return 'the driver';
    },
    onOpen: (d) => joined.push(d),
    backoff: { firstMs: 40, maxMs: 100 },
    log,
  });
  t.teardown(() => r.stop());
  t.equal(r.fault(), null, 'no fault before the first try');
  await r.start(); // resolves after the first try: never rejects
  const f = r.fault();
  t.ok(f, 'faulted after the first failed try');
  t.equal(f!.error.code, ErrorCode.DeviceUnavailable);
  t.match(f!.error.message, /^cannot open \/dev\/ttyUSB1: ENOENT/);
  t.equal(f!.attempts, 1);
  t.ok(f!.nextAt! > Date.now(), 'the next try is due later');
  t.match(describeOpenFault(f!), /^cannot open \/dev\/ttyUSB1: ENOENT: no such file or directory \(1 try; next try in \d+ s\)$/);
  t.equal(r.opened, null);

  await waitFor('the device joined', () => joined.length === 1);
  t.equal(tries.length, 4, 'three failures, then the open that worked');
  const gaps = tries.slice(1).map((at, i) => at - tries[i]);
  // The delays double (40, 80, then capped at 100): each gap at least its delay (timers never fire early).
  t.ok(gaps[0] >= 39 && gaps[1] >= 79 && gaps[2] >= 99, `gaps ${gaps}`);
  t.equal(r.fault(), null, 'the fault clears');
  t.equal(r.opened, 'the driver');
  const errors = log.at('error');
  t.equal(errors.length, 1, 'the same failure is logged once, the retries at debug');
  t.match(errors[0].obj, { device: 'bill-validator', target: '/dev/ttyUSB1', code: 506, attempts: 1 });
  t.equal(log.at('debug').length, 2);
  t.match(log.at('info')[0].obj, { device: 'bill-validator', failedTries: 3 });
});

t.test('a changed reason is logged again; stop() ends the retries', async (t) => {
  const log = new MemoryLog();
  let n = 0;
  const r = new Reopener<string>({
    name: 'coin-acceptor',
    target: 'I2C bus 1 address 0x21',
    open: async () => {
      n++;
      throw new Error(n === 1 ? 'Remote I/O error' : 'No such device');
    },
    onOpen: () => t.fail('never opens'),
    backoff: { firstMs: 20, maxMs: 20 },
    log,
  });
  await r.start();
  await waitFor('a second try', () => n >= 2);
  await r.stop();
  const after = n;
  await new Promise((res) => setTimeout(res, 80));
  t.equal(n, after, 'no try after stop()');
  t.same(
    log.at('error').map((e) => (e.obj as { err: { message: string } }).err.message),
    ['Remote I/O error', 'No such device'],
  );
  t.equal(r.fault()!.nextAt, null, 'stopped: no next try announced');
});
