/**
 * The payment engine with cash devices that could not be opened
 * (README.md, "Devices that cannot be opened"; their stand-ins from src/drivers/late/): card without cash. Pay is accepted because the card
 * can take money (contract 1: -2 only with no means of payment in working order), the card is offered,
 * the acceptors are not opened (they are not there), and an approval pays. When the validator joins
 * later, the next session takes cash.
 */
import t from 'tap';
import { LateCashAcceptor, LateDispenser } from '../../../src/drivers/late/late-devices.js';
import { MemoryLog } from '../../../src/drivers/driver-log.js';
import { SimCancelButton } from '../../../src/drivers/sim/sim-cancel-button.js';
import { SimCardReader } from '../../../src/drivers/sim/sim-card-reader.js';
import { SimCashAcceptor } from '../../../src/drivers/sim/sim-cash-acceptor.js';
import { SimDispenser } from '../../../src/drivers/sim/sim-dispenser.js';
import { silentLogger } from '../../../src/services/log.js';
import { PaymentEngine } from '../../../src/services/payment/payment-engine.js';
import { SessionStore } from '../../../src/services/store/session-store.js';
import { tempDir } from '../../helpers/daemon.js';
import { waitFor } from '../../helpers/wait.js';

const pay = (uid: string, amount: number) => ({ uid, amount, order: [{ id: '1', name: 'n', count: '1', cost: amount }] });

t.test('card without cash: the bill validator and hoppers not there, Pay accepted, the card pays; the validator joins later and takes the next', async (t) => {
  const store = await SessionStore.open(tempDir());
  let plugged = false;
  const validator = new SimCashAcceptor('bill-validator', 'bill', [5000, 10_000]);
  const notThere = (what: string) => new Error(`cannot open ${what}: No such file or directory`);
  const bill = new LateCashAcceptor('bill', [], {
    name: 'bill-validator',
    target: '/dev/ttyUSB0',
    open: async () => (plugged ? validator : Promise.reject(notThere('/dev/ttyUSB0'))),
    backoff: { firstMs: 20, maxMs: 40 },
    log: new MemoryLog(),
  });
  const hoppers = new LateDispenser(
    { name: 'hoppers', target: 'I2C expander', open: async () => Promise.reject<SimDispenser>(notThere('I2C expander')), backoff: { firstMs: 20, maxMs: 40 }, log: new MemoryLog() },
    {},
    new MemoryLog(),
  );
  const card = new SimCardReader();
  const cancel = new SimCancelButton();
  for (const d of [bill, hoppers, card, cancel]) await d.start();
  const engine = new PaymentEngine({
    store,
    devices: { acceptors: [bill], dispenser: hoppers, card, cancelButton: cancel },
    settings: { terminalId: 'T', timeoutMs: 120_000, reportCancelledWithCashKept: false, cardAvailable: true },
    enabled: true,
    maxAmount: 1_000_000,
    uidMemoryMs: 24 * 3_600_000,
    log: silentLogger(),
    tickMs: 10,
  });
  await engine.start();
  t.teardown(async () => {
    await engine.stop();
    for (const d of [bill, hoppers, card, cancel]) await d.stop();
  });
  t.equal(bill.health().code, 506);
  t.equal(engine.canTakePayment(), true, 'the card can take money');
  t.equal(await engine.pay(pay('card-only', 2500)), 0);
  await waitFor('the card offered', () => card.currentOffer());
  t.equal(await card.approve(), 2500);
  await waitFor('paid', async () => (await engine.poll('card-only')) === 0);

  plugged = true;
  await waitFor('the validator joined', () => bill.health().state === 'ok');
  t.equal(validator.isEnabled(), false, 'joined closed: no session');
  t.equal(await engine.pay(pay('cash-now', 5000)), 0);
  await waitFor('the validator opened for the session', () => validator.isEnabled());
  t.same(await validator.insert(5000), { accepted: true, value: 5000 });
  await waitFor('paid in cash', async () => (await engine.poll('cash-now')) === 0);
});
