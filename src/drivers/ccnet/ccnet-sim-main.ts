/**
 * The CCNET validator simulator as its own process, for demos and integration tests:
 *   node --import tsx src/drivers/ccnet/ccnet-sim-main.ts --port /path/to/pty [--escrow-timeout-ms N]
 * Reads one command per line on stdin and answers one JSON line on stdout:
 *   insert TYPE | unknown [REASON] | jam validator|stacker|none | cassette in|out|full |
 *   fail CODE|none | silent on|off | power none|validator|stacker | reopen | status
 * (reopen: the pty was made again at the same path, the adapter plugged back; see CcnetValidatorSim.reconnect).
 * Prints {"ready":true} once the port is open.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { NodeSerialLink } from '../../transports/serial/serial-port.js';
import { CcnetValidatorSim } from './ccnet-sim.js';

const { values } = parseArgs({ options: { port: { type: 'string' }, 'escrow-timeout-ms': { type: 'string' } } });
if (!values.port) {
  process.stderr.write('usage: ccnet-sim-main --port PATH\n');
  process.exit(2);
}
const sim = new CcnetValidatorSim(new NodeSerialLink({ path: values.port, baudRate: 9600 }), {
  escrowTimeoutMs: values['escrow-timeout-ms'] ? Number(values['escrow-timeout-ms']) : undefined,
});
await sim.start();
const say = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');
say({ ready: true });

const num = (s: string | undefined) => (s === undefined ? NaN : Number(s));
for await (const line of createInterface({ input: process.stdin })) {
  const [cmd, arg] = line.trim().split(/\s+/);
  switch (cmd) {
    case 'insert': say({ insert: sim.insertBill(num(arg)) }); break;
    case 'unknown': say({ insert: sim.insertUnknown(arg ? num(arg) : undefined) }); break;
    case 'jam': sim.jam(arg === 'validator' || arg === 'stacker' ? arg : null); say({ ok: true }); break;
    case 'cassette': sim.setCassette(arg === 'out' ? 'out' : arg === 'full' ? 'full' : 'in'); say({ ok: true }); break;
    case 'fail': sim.fail(arg === 'none' ? null : num(arg)); say({ ok: true }); break;
    case 'silent': sim.silent = arg === 'on'; say({ ok: true }); break;
    case 'power': sim.powerCycle(arg === 'validator' || arg === 'stacker' ? arg : 'none'); say({ ok: true }); break;
    case 'reopen':
      try {
        await sim.reconnect();
        say({ ok: true });
      } catch (e) {
        say({ error: (e as Error).message });
      }
      break;
    case 'status': say({ status: sim.status(), masks: sim.masks(), stacked: sim.stacked, returned: sim.returned }); break;
    case '': break;
    default: say({ error: `unknown command ${cmd}` });
  }
}
await sim.stop();
