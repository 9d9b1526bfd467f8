/**
 * The simulated hardware in the guest that several checks drive: gpio-sim lines (the chip of
 * guest/paypoint-vm-gpio-sim.service, levels set through each line's `pull` file, played with
 * pulse-player) and i2c-stub (a register file at the MCP23017's address behind i2c-dev).
 */
import type { Vm } from './vm.js';

/** The gpio-sim line's pull file, as a guest shell expression: writing pull-up/pull-down sets its level. */
export function simPull(line: number): string {
  return `/sys/devices/platform/$(cat /sys/kernel/config/gpio-sim/vm/dev_name)/$(cat /sys/kernel/config/gpio-sim/vm/bank0/chip_name)/sim_gpio${line}/pull`;
}

/** A press of an active-low button on a gpio-sim line: 200 ms low. */
export function pressLine(vm: Vm, line: number): Promise<string> {
  return vm.shell(`pulse-player ${simPull(line)} 200 50 300 1`);
}

/** The MCP23017's address on the reference board (A2..A0 low), where i2c-stub answers. */
export const MCP_ADDRESS = 0x20;
export const hex = (n: number) => `0x${n.toString(16).padStart(2, '0')}`;

export interface I2cStub {
  /** The stub's bus number (/dev/i2c-N; depends on the machine's other adapters), null if it is missing. */
  bus: number | null;
  /** What the guest said: the adapters and /dev/i2c-* (for a check's diagnostics). */
  setup: string;
  get(reg: number): Promise<number>;
  set(reg: number, value: number): Promise<string>;
}

/** Loads i2c-dev and i2c-stub at MCP_ADDRESS (a no-op when an earlier check did) and finds the stub's bus. */
export async function i2cStub(vm: Vm): Promise<I2cStub> {
  const setup = await vm.shell(
    `modprobe i2c-dev && modprobe i2c-stub chip_addr=${hex(MCP_ADDRESS)} && udevadm settle && ` +
      `for a in /sys/bus/i2c/devices/i2c-*; do echo "$(basename $a) $(cat $a/name)"; done; ls -l /dev/i2c-*`,
  );
  const m = /^i2c-(\d+) SMBus stub driver$/m.exec(setup);
  const bus = m ? Number(m[1]) : null;
  return {
    bus,
    setup,
    get: async (reg) => Number((await vm.shell(`i2cget -y ${bus} ${hex(MCP_ADDRESS)} ${hex(reg)} b`)).trim()),
    set: (reg, v) => vm.shell(`i2cset -y ${bus} ${hex(MCP_ADDRESS)} ${hex(reg)} ${hex(v)} b`),
  };
}
