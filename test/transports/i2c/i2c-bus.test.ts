import t from 'tap';
import { openI2cBus } from '../../../src/transports/i2c/i2c-bus.js';
import { ErrorCode, isPayPointError } from '../../../src/errors.js';

t.test('the real i2c-bus loads; without /dev/i2c-N the failure is a DeviceNotReady or a failed read, never a crash', async (t) => {
  // docs/design.md, "Hardware without hardware": on this machine opening may succeed and the first read fail with ENOENT.
  let bus;
  try {
    bus = await openI2cBus(1);
  } catch (e) {
    t.ok(isPayPointError(e, ErrorCode.DeviceNotReady));
    return;
  }
  await t.rejects(bus.readByte(0x20, 0x0a));
  await bus.close().catch(() => undefined);
});
