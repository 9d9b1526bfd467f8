/**
 * VM check "i2c": the MCP23017 I/O expander path on a real kernel: i2c-stub (a register file answering
 * at the expander's address 0x20) behind i2c-dev, driven by the daemon through the real i2c-bus addon
 * and the MCP23017 driver, wired as on the reference board (board/profiles/reference-pi4.json: the coin
 * acceptor's inhibit on GPB0; here also the cancel button on GPA4 with the expander's pull-up; no INT line,
 * so the driver polls GPIO). The host, through the guest shell, reads the registers the driver wrote
 * (i2cget) and sets the pins' input levels in the GPIO register (i2cset), as the pins of a real chip
 * would read:
 * - the driver's set-up: IOCON = MIRROR|ODR read back, GPB0 an output latched high (inhibited) before its
 *   direction bit was cleared, GPA4 an input with its pull-up;
 * - a Pay releases the inhibit (OLATB bit 0 -> 0), a coin on the gpio-sim pulse line pays it and the
 *   inhibit is set again;
 * - a press of the button (GPIOA bit 4 low for 300 ms, seen by the driver's poll) cancels the next session.
 */
import { payXml, returnCode } from '../helpers/daemon.js';
import { pollUntil, waitIdle, withDaemonConfig } from './daemon-config.js';
import { i2cStub, MCP_ADDRESS, simPull } from './guest-lines.js';
import { check, expect, note } from './tap.js';
import { sleep, type Vm } from './vm.js';

const ADDRESS = MCP_ADDRESS;
const PROFILE = '/etc/paypoint/vm-i2c-profile.json';

/** The board profile of this check, for the stub's bus (its number depends on the machine's other adapters). */
export function i2cProfile(bus: number, address = ADDRESS): Record<string, unknown> {
  return {
    name: 'vm-i2c',
    description: 'VM test only: the reference board inhibit (GPB0) and a cancel button (GPA4, pull-up) on an MCP23017 emulated by i2c-stub; the coin pulse line on gpio-sim.',
    board: 'qemu-x86_64-i2c-stub',
    lineProviders: {
      gpio: { type: 'gpio', chipLabel: 'paypoint-vm-gpio' },
      mcp: { type: 'mcp23017', bus, address, pollIntervalMs: 5 },
    },
    coinAcceptor: {
      pulse: { provider: 'gpio', pin: 27, activeLow: true },
      inhibit: { provider: 'mcp', pin: 8 },
      timings: { minPulseMs: 20, maxPulseMs: 120, minGapMs: 5, trainEndMs: 200 },
      values: { '1': 100, '2': 200, '5': 500, '10': 1000 },
    },
    cancelButton: { provider: 'mcp', pin: 4, activeLow: true, pull: 'up' },
  };
}

export async function checkI2c(vm: Vm, opts: { seed: number; address?: number }): Promise<void> {
  const { bus, setup, get, set } = await i2cStub(vm);
  if (!check('i2c: i2c-stub answers at 0x20 on a bus of the VM kernel (i2c-dev)', bus !== null, setup)) return;
  note(`i2c: ${setup.trim().replace(/\n/g, '; ')}`);
  // The pins' levels as a real chip reads them: every input high (the button released, pulled up).
  await set(0x12, 0xff);
  await set(0x13, 0xff);

  const profile = JSON.stringify(i2cProfile(bus!, opts.address ?? ADDRESS));
  const extraToml = `[devices]\ncoin = "board"\ncancel_button = "board"\nboard_profile = "${PROFILE}"\n`;
  await withDaemonConfig(
    vm,
    { extraToml, label: 'i2c: the daemon restarts with the MCP23017 on the i2c-stub bus', before: `cat > ${PROFILE} <<'EOF'\n${profile}\nEOF` },
    async () => {
      // An expander that does not answer (wrong address, loose cable) must leave the daemon running with
      // its devices faulted (error 506, bus and address named), not stop it
      // (README.md, "Devices that cannot be opened"): a faulted device here is this check's failure.
      const st = await vm.http(vm.ports.status, '/api/status').catch((e: Error) => ({ status: 0, body: e.message }));
      let devs: Array<{ name: string; state: string; detail: string; code?: number }> = [];
      try {
        devs = (JSON.parse(st.body) as { devices: typeof devs }).devices;
      } catch {
        // reported below
      }
      const onExpander = devs.filter((d) => d.name === 'coin-acceptor' || d.name === 'cancel-button');
      const restarts = (await vm.shell('systemctl show paypoint.service -p NRestarts -p ActiveState --value')).trim().replace(/\n/g, ' ');
      if (
        !check(
          'i2c: the coin acceptor and the cancel button on the expander are open (not faulted on /api/status)',
          onExpander.length === 2 && onExpander.every((d) => d.state !== 'fault'),
          JSON.stringify(onExpander.length ? onExpander : st.body),
          `paypoint.service NRestarts, ActiveState: ${restarts}`,
        )
      ) {
        return;
      }
      const regs = { iocon: await get(0x0a), iodirb: await get(0x01), gppua: await get(0x0c), iodira: await get(0x00) };
      note(`i2c: registers after the driver's set-up: ${JSON.stringify(regs)}`);
      check(
        'i2c: the driver set the expander up: IOCON MIRROR|ODR, GPB0 an output, GPA4 an input with pull-up',
        regs.iocon === 0x44 && (regs.iodirb & 1) === 0 && (regs.gppua & 0x10) !== 0 && (regs.iodira & 0x10) !== 0,
        JSON.stringify(regs),
      );
      const press = async () => {
        await set(0x12, 0xef);
        await sleep(300);
        await set(0x12, 0xff);
      };
      // A session left open by an earlier check is ended with this button (read over I2C) first.
      check('i2c: no session in progress (one left open is cancelled with the button on GPA4)', await waitIdle(vm, press));
      const inhibitIs = async (want: 0 | 1, ms: number) => {
        const end = Date.now() + ms;
        while (Date.now() < end) {
          if (((await get(0x15)) & 1) === want) return true;
          await sleep(300);
        }
        return false;
      };

      check('i2c: with no session the inhibit on GPB0 is set (OLATB bit 0 = 1)', await inhibitIs(1, 10_000));
      const uid = `vm-i2c-coin-${opts.seed}`;
      expect('i2c: Pay 1 RUB accepted', returnCode((await vm.soap(payXml(uid, 100, [{ id: '1', name: 'x', count: 1, cost: 100 }]))).body), 0);
      check('i2c: the session waiting for cash releases the inhibit on GPB0 (OLATB bit 0 = 0)', await inhibitIs(0, 30_000));
      await vm.shell(`pulse-player ${simPull(27)} 50 50 300 1`);
      expect('i2c: a 1 RUB coin on the pulse line pays it (PayPoll 0)', await pollUntil(vm, uid, 0, 30_000), 0);
      check('i2c: the paid session sets the inhibit again (OLATB bit 0 = 1)', await inhibitIs(1, 30_000));

      const cuid = `vm-i2c-cancel-${opts.seed}`;
      expect('i2c: Pay for the cancel button accepted', returnCode((await vm.soap(payXml(cuid, 1000, [{ id: '1', name: 'x', count: 1, cost: 1000 }]))).body), 0);
      await inhibitIs(0, 30_000);
      await press();
      expect('i2c: a press of the button on GPA4 (read by the driver over I2C) cancels the session (PayPoll 2)', await pollUntil(vm, cuid, 2, 30_000), 2);
    },
  );
}
