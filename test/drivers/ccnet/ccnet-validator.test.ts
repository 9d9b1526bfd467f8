import t from 'tap';
import { harness, ready } from './ccnet-harness.js';
import { Command } from '../../../src/codecs/ccnet/commands.js';
import { CcnetBillValidator } from '../../../src/drivers/ccnet/ccnet-validator.js';
import { NodeSerialLink } from '../../../src/transports/serial/serial-port.js';
import { waitFor } from '../../helpers/wait.js';

const RUB = [1000, 5000, 10000, 20000, 50000, 100000, 200000, 500000];

t.test('start: POLL to learn the state, RESET, bill table, then ENABLE BILL TYPES with enable and escrow masks', async (t) => {
  const h = await harness();
  t.teardown(() => h.close());
  await ready(h);
  t.same(h.driver.denominations(), RUB);
  t.same(h.sim.masks(), { enable: 0xff, escrow: 0xff });
  const r = h.sim.received;
  t.equal(r[0], Command.Poll);
  t.ok(r.indexOf(Command.Reset) > 0 && r.indexOf(Command.Reset) < r.indexOf(Command.GetBillTable));
  t.ok(r.indexOf(Command.GetBillTable) > 0 && r.indexOf(Command.GetBillTable) < r.indexOf(Command.EnableBillTypes));
  await h.driver.setEnabled(false);
  t.same(h.sim.masks(), { enable: 0, escrow: 0 });
  t.equal(h.sim.insertBill(2), 'refused', 'a closed validator takes no bill');
  t.equal(h.driver.health().detail, 'inhibited');
});

t.test('a normal bill: escrow asks the domain, credit only on STACKED, ACK only after the credit is stored', async (t) => {
  const h = await harness();
  t.teardown(() => h.close());
  let release!: () => void;
  const stored = new Promise<void>((r) => (release = r));
  let creditCalls = 0;
  h.driver.onCredit(async (c) => {
    creditCalls++;
    // At the time of the credit, the bill must already be in the cassette, and the escrow decision made.
    t.same(h.sim.stacked, [3]);
    t.same(h.escrows, [50000]);
    await stored;
    h.credits.push(c);
  });
  await ready(h);
  t.equal(h.sim.insertBill(3), 'inserted');
  await waitFor('credit handler called', () => creditCalls === 1);
  t.same(h.credits, [], 'nothing credited at escrow time');
  // While the handler has not resolved, the validator still holds its STACKED event unacknowledged.
  await new Promise((r) => setTimeout(r, 100));
  t.equal(h.sim.status().kind, 'stacked');
  release();
  await waitFor('STACKED acknowledged', () => h.sim.status().kind === 'idling');
  t.equal(h.credits.length, 1);
  t.equal(h.credits[0].value, 50000);
  t.match(h.credits[0].ref, /^bill-validator-/);
  t.equal(creditCalls, 1);
  t.match(h.driver.health(), { state: 'ok', detail: 'accepting; last: stacked 50000' });
});

t.test('escrow return because change cannot be given: bill returned, nothing credited', async (t) => {
  const h = await harness();
  t.teardown(() => h.close());
  h.driver.onEscrow(async (v) => {
    h.escrows.push(v);
    return 'return';
  });
  await ready(h);
  h.sim.insertBill(5);
  await waitFor('bill returned', () => h.sim.returned.length === 1);
  await waitFor('RETURNED acknowledged', () => h.sim.status().kind === 'idling');
  t.same(h.escrows, [500000]);
  t.same(h.sim.returned, [5]);
  t.same(h.sim.stacked, []);
  t.same(h.credits, []);
  t.ok(h.log.at('info').some((e) => e.msg === 'ccnet: bill returned'));
});

t.test('an escrow handler that throws returns the bill (the customer keeps it)', async (t) => {
  const h = await harness();
  t.teardown(() => h.close());
  h.driver.onEscrow(async () => {
    throw new Error('store down');
  });
  await ready(h);
  h.sim.insertBill(0);
  await waitFor('bill returned', () => h.sim.returned.length === 1);
  t.same(h.credits, []);
});

t.test('closed while the domain decides: the bill goes back even if the answer was stack', async (t) => {
  const h = await harness();
  t.teardown(() => h.close());
  h.driver.onEscrow(async () => {
    await h.driver.setEnabled(false);
    return 'stack';
  });
  await ready(h);
  h.sim.insertBill(1);
  await waitFor('bill returned', () => h.sim.returned.length === 1);
  t.same(h.sim.stacked, []);
  t.same(h.credits, []);
});

t.test('a failed credit is not acknowledged; the repeated STACKED is credited once, with the same ref', async (t) => {
  const h = await harness();
  t.teardown(() => h.close());
  const refs: string[] = [];
  h.driver.onCredit(async (c) => {
    refs.push(c.ref);
    if (refs.length === 1) throw new Error('disk full');
    h.credits.push(c);
  });
  await ready(h);
  h.sim.insertBill(2);
  await waitFor('credit stored on retry', () => h.credits.length === 1);
  await waitFor('STACKED acknowledged', () => h.sim.status().kind === 'idling');
  t.equal(refs.length, 2);
  t.equal(refs[0], refs[1]);
  t.same(h.sim.stacked, [2]);
  t.ok(h.log.at('error').some((e) => e.msg === 'ccnet: credit not stored; STACKED left unacknowledged'));
});

t.test('regression: an ACK lost on the line makes the validator repeat STACKED; it is not credited twice', async (t) => {
  const h = await harness();
  t.teardown(() => h.close());
  await ready(h);
  h.sim.dropEventAcks = 2;
  h.sim.insertBill(2);
  await waitFor('STACKED finally acknowledged', () => h.sim.status().kind === 'idling' && h.sim.dropEventAcks === 0);
  t.equal(h.credits.length, 1);
  // A second identical bill right after is a new bill and is credited.
  h.sim.insertBill(2);
  await waitFor('second bill credited', () => h.credits.length === 2);
  t.not(h.credits[0].ref, h.credits[1].ref);
});

t.test('a jam in the validator: fault while jammed, ok when cleared', async (t) => {
  const h = await harness();
  t.teardown(() => h.close());
  await ready(h);
  h.sim.jam('validator');
  await waitFor('fault reported', () => h.driver.health().state === 'fault');
  t.equal(h.driver.health().detail, 'bill jammed in the validator');
  h.sim.jam(null);
  await waitFor('recovered', () => h.driver.health().state === 'ok');
  t.ok(h.log.at('error').some((e) => e.msg === 'ccnet: validator fault'));
  h.sim.insertBill(0);
  await waitFor('credit after recovery', () => h.credits.length === 1);
});

t.test('drop cassette removed, then full, then back', async (t) => {
  const h = await harness();
  t.teardown(() => h.close());
  await ready(h);
  h.sim.setCassette('out');
  await waitFor('cassette out', () => h.driver.health().detail === 'drop cassette removed');
  t.equal(h.driver.health().state, 'fault');
  t.equal(h.sim.insertBill(0), 'refused');
  h.sim.setCassette('full');
  await waitFor('cassette full', () => h.driver.health().detail === 'drop cassette full');
  h.sim.setCassette('in');
  await waitFor('cassette back', () => h.driver.health().state === 'ok');
});

t.test('a failure code is reported with its meaning', async (t) => {
  const h = await harness();
  t.teardown(() => h.close());
  await ready(h);
  h.sim.fail(0x50);
  await waitFor('failure reported', () => h.driver.health().state === 'fault');
  t.equal(h.driver.health().detail, 'failure: stack motor');
  h.sim.fail(null);
  await waitFor('recovered', () => h.driver.health().state === 'ok');
});

t.test('rejects: an unrecognised bill and a bill type that is not enabled; nothing credited', async (t) => {
  const h = await harness({ driver: { acceptValues: [5000, 10000, 50000] } });
  t.teardown(() => h.close());
  await ready(h);
  t.same(h.driver.denominations(), [5000, 10000, 50000]);
  t.equal(h.sim.masks().enable, 0b1110);
  h.sim.insertUnknown(0x64);
  await waitFor('reject reported', () => h.driver.health().detail.includes('rejected (conveying)'));
  await waitFor('idle again', () => h.sim.status().kind === 'idling');
  h.sim.insertBill(0); // 10 RUB, not enabled by acceptValues
  await waitFor('inhibit reject reported', () => h.driver.health().detail.includes('rejected (inhibit)'));
  await waitFor('idle again', () => h.sim.status().kind === 'idling');
  t.same(h.credits, []);
  t.same(h.escrows, []);
  t.same(h.log.at('info').filter((e) => e.msg === 'ccnet: bill rejected').map((e) => (e.obj as { reason: string }).reason), ['conveying', 'inhibit']);
});

t.test('power-up with a bill in the validator: reset returns it, nothing credited, then normal', async (t) => {
  const h = await harness({ sim: { powerUp: 'validator' } });
  t.teardown(() => h.close());
  await ready(h);
  t.ok(h.log.at('warn').some((e) => String(e.msg).includes('power-up with a bill in the validator')));
  t.same(h.credits, []);
  h.sim.insertBill(2);
  await waitFor('credit', () => h.credits.length === 1);
});

t.test('power-up with a bill in the stacker: logged for the technician, never credited', async (t) => {
  const h = await harness({ sim: { powerUp: 'stacker' } });
  t.teardown(() => h.close());
  await ready(h);
  t.ok(h.log.at('error').some((e) => String(e.msg).includes('power-up with a bill in the stacker')));
  t.same(h.credits, []);
});

t.test('the validator restarting mid-service is reset and re-opened', async (t) => {
  const h = await harness();
  t.teardown(() => h.close());
  await ready(h);
  const resets = () => h.sim.received.filter((c) => c === Command.Reset).length;
  t.equal(resets(), 1);
  h.sim.powerCycle('none');
  await waitFor('reset and re-enabled', () => resets() === 2 && h.sim.masks().enable === 0xff);
  h.sim.insertBill(1);
  await waitFor('credit after restart', () => h.credits.length === 1);
  t.equal(h.credits[0].value, 5000);
});

t.test('the validator going silent and coming back', async (t) => {
  const h = await harness();
  t.teardown(() => h.close());
  await ready(h);
  h.sim.silent = true;
  await waitFor('offline reported', () => h.driver.health().state === 'offline');
  t.match(h.driver.health().detail, /no answer/);
  h.sim.silent = false;
  await waitFor('back', () => h.driver.health().state === 'ok');
  t.ok(h.log.at('info').some((e) => e.msg === 'ccnet: validator answering again'));
  h.sim.insertBill(2);
  await waitFor('credit after coming back', () => h.credits.length === 1);
});

t.test('no validator at all at start: offline, and it comes up when it starts answering', async (t) => {
  const h = await harness({ start: false });
  t.teardown(() => h.close());
  h.sim.silent = true;
  await h.driver.start();
  await waitFor('offline', () => h.driver.health().state === 'offline');
  h.sim.silent = false;
  await h.driver.setEnabled(true);
  await waitFor('enabled once it answers', () => h.sim.masks().enable === 0xff);
  t.equal(h.driver.health().state, 'ok');
});

t.test('stop closes the validator; health offline', async (t) => {
  const h = await harness();
  await ready(h);
  await h.driver.stop();
  t.equal(h.driver.health().state, 'offline');
  t.same(h.sim.masks(), { enable: 0, escrow: 0 });
  await h.close();
});

t.test('a STACKED left unacknowledged when the daemon stopped is credited by the next start', async (t) => {
  const h = await harness();
  t.teardown(() => h.close());
  await ready(h);
  let attempts = 0;
  h.driver.onCredit(async () => {
    attempts++;
    throw new Error('power cut before the credit was stored');
  });
  h.sim.insertBill(4);
  await waitFor('first credit attempt', () => attempts >= 1);
  await h.driver.stop();
  t.equal(h.sim.status().kind, 'stacked', 'the validator still holds the event');

  const second = new CcnetBillValidator({ link: new NodeSerialLink({ path: h.pathA, baudRate: 9600 }), pollIntervalMs: 20, responseTimeoutMs: 250 });
  const credits: number[] = [];
  second.onCredit(async (c) => {
    credits.push(c.value);
  });
  await second.start();
  t.teardown(() => second.stop());
  await waitFor('credited after restart', () => credits.length === 1);
  t.same(credits, [100000]);
  await waitFor('ready after restart', () => second.health().state === 'ok');
});
