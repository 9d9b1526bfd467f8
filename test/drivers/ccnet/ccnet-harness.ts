/** Shared setup for the CCNET driver tests: driver and simulator on the two ends of a real socat pty pair. */
import { openPtyPair } from '../../transports/serial/socat-pair.js';
import { NodeSerialLink } from '../../../src/transports/serial/serial-port.js';
import { CcnetValidatorSim, type CcnetSimOptions } from '../../../src/drivers/ccnet/ccnet-sim.js';
import { CcnetBillValidator, type CcnetValidatorOptions } from '../../../src/drivers/ccnet/ccnet-validator.js';
import { MemoryLog } from '../../../src/drivers/driver-log.js';
import type { CashCredit } from '../../../src/drivers/interfaces.js';
import { waitFor } from '../../helpers/wait.js';

export interface Harness {
  sim: CcnetValidatorSim;
  driver: CcnetBillValidator;
  log: MemoryLog;
  credits: CashCredit[];
  escrows: number[];
  /** The driver's end of the pty pair (a second driver can open it after the first stops). */
  pathA: string;
  close(): Promise<void>;
}

export async function harness(
  opts: { sim?: CcnetSimOptions; driver?: Partial<CcnetValidatorOptions>; start?: boolean } = {},
): Promise<Harness> {
  const pair = await openPtyPair();
  const sim = new CcnetValidatorSim(new NodeSerialLink({ path: pair.b, baudRate: 9600 }), { pollsPerStep: 2, ...opts.sim });
  await sim.start();
  const log = new MemoryLog();
  const driver = new CcnetBillValidator({
    link: new NodeSerialLink({ path: pair.a, baudRate: 9600 }),
    pollIntervalMs: 20,
    // Generous: the machine is shared; a pty answers in well under a millisecond when idle.
    responseTimeoutMs: 250,
    silentAfterPolls: 3,
    log,
    ...opts.driver,
  });
  const credits: CashCredit[] = [];
  const escrows: number[] = [];
  driver.onCredit(async (c) => {
    credits.push(c);
  });
  driver.onEscrow(async (v) => {
    escrows.push(v);
    return 'stack';
  });
  if (opts.start !== false) await driver.start();
  return {
    sim,
    driver,
    log,
    credits,
    escrows,
    pathA: pair.a,
    async close() {
      await driver.stop();
      await sim.stop();
      await pair.close();
    },
  };
}

export async function ready(h: Harness, enabled = true): Promise<void> {
  await waitFor('validator ready', () => h.driver.health().state === 'ok');
  await h.driver.setEnabled(enabled);
  await waitFor(enabled ? 'validator open' : 'validator closed', () => h.sim.status().kind === (enabled ? 'idling' : 'disabled'));
}
