/**
 * Regression: the VM harness picked its four host-forwarding ports one at a time, and the kernel can hand
 * back a port it has just freed (one set of four in about 500 here): qemu then refused to start ("Could not
 * set up host forwarding rule ... 39225") in the middle of a 100-cut power-cut run. freePorts holds every
 * listener until all are picked.
 */
import t from 'tap';
import { createServer } from 'node:net';
import { freePorts } from './daemon.js';

t.test('freePorts: 2,000 sets of four, no set with a duplicate, every port bindable once they are released', async (t) => {
  let withDuplicate = 0;
  let last: number[] = [];
  for (let i = 0; i < 2000; i++) {
    last = await freePorts(4);
    if (new Set(last).size !== 4) withDuplicate++;
  }
  t.equal(withDuplicate, 0, 'no set held the same port twice');
  for (const p of last) {
    await new Promise<void>((res, rej) => {
      const s = createServer();
      s.on('error', rej);
      s.listen(p, '127.0.0.1', () => s.close(() => res()));
    });
  }
  t.pass('the last set is free again');
});
