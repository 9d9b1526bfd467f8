import t from 'tap';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { openPtyPair } from '../../transports/serial/socat-pair.js';
import { NodeSerialLink } from '../../../src/transports/serial/serial-port.js';
import { CcnetBillValidator } from '../../../src/drivers/ccnet/ccnet-validator.js';
import { waitFor } from '../../helpers/wait.js';

t.test('the simulator runs as its own process on a pty; the driver takes a bill from it', async (t) => {
  const pair = await openPtyPair();
  t.teardown(() => pair.close());
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/drivers/ccnet/ccnet-sim-main.ts', '--port', pair.b], { stdio: ['pipe', 'pipe', 'inherit'] });
  t.teardown(() => {
    child.stdin!.end();
    if (child.exitCode === null) child.kill();
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async () => JSON.parse(String((await lines.next()).value));
  t.same(await next(), { ready: true });

  const driver = new CcnetBillValidator({ link: new NodeSerialLink({ path: pair.a, baudRate: 9600 }), pollIntervalMs: 20 });
  const credits: number[] = [];
  driver.onCredit(async (c) => {
    credits.push(c.value);
  });
  await driver.start();
  t.teardown(() => driver.stop());
  await waitFor('ready', () => driver.health().state === 'ok');
  await driver.setEnabled(true);
  child.stdin!.write('insert 2\n');
  t.same(await next(), { insert: 'inserted' });
  await waitFor('credit', () => credits.length === 1);
  t.same(credits, [10000]);
  child.stdin!.write('status\n');
  t.match(await next(), { stacked: [2], masks: { enable: 0xff } });
});
