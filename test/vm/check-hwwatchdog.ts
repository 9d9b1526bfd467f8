/**
 * VM check "hwwatchdog": a hung kernel is reset by the hardware watchdog. The machine has an i6300esb
 * watchdog (-device i6300esb; qemu's action on expiry: reset) and systemd pets it with the image's
 * RuntimeWatchdogSec (yocto-layer/recipes-core/systemd/systemd-conf/10-paypoint-watchdog.conf, installed
 * by make-disks.sh). The kernel is made to panic with kernel.panic=0 (it stays halted, never reboots by
 * itself) and qemu runs without -no-reboot: only the watchdog can bring the machine back. The unit must
 * come back in the same qemu process (a new boot id) with the session paid before the hang.
 */
import { pollXml, returnCode } from '../helpers/daemon.js';
import { check, note } from './tap.js';
import { sleep, type Vm } from './vm.js';

export const HWWATCHDOG_QEMU_ARGS = ['-device', 'i6300esb', '-action', 'watchdog=reset'];

export async function checkHwWatchdog(vm: Vm, knownPaidUid: string | null): Promise<void> {
  const wd = (
    await vm.shell(
      'cat /sys/class/watchdog/watchdog0/identity /sys/class/watchdog/watchdog0/state /sys/class/watchdog/watchdog0/timeout 2>&1; systemctl show -p RuntimeWatchdogUSec',
    )
  ).trim();
  const [identity, state, timeout, runtime] = wd.split('\n');
  check(
    'hwwatchdog: the i6300esb watchdog is active, petted by systemd (RuntimeWatchdogSec from the image)',
    /i6300ESB/i.test(identity ?? '') && state === 'active' && /RuntimeWatchdogUSec=14s/.test(runtime ?? ''),
    wd,
  );
  const bootId = (await vm.shell('cat /proc/sys/kernel/random/boot_id')).trim();
  const pid = vm.child?.pid;
  note(`hwwatchdog: ${identity}, timeout ${timeout} s, ${runtime}; boot ${bootId}; panicking the kernel (kernel.panic=0)`);
  // In a transient unit of its own, so the shell connection can end first.
  await vm.shell(`echo 0 > /proc/sys/kernel/panic && systemd-run --quiet --no-block sh -c 'sleep 2; echo c > /proc/sysrq-trigger'`);
  const t0 = Date.now();
  let newBoot = '';
  let readyAgain = false;
  while (Date.now() - t0 < 360_000 && vm.alive()) {
    await sleep(3000);
    try {
      const b = (await vm.shell('cat /proc/sys/kernel/random/boot_id', 5_000)).trim();
      if (/^[0-9a-f-]{36}$/.test(b) && b !== bootId) {
        newBoot = b;
        readyAgain = await vm.waitReady(300_000);
        break;
      }
    } catch {
      /* halted or booting */
    }
  }
  const secs = ((Date.now() - t0) / 1000).toFixed(0);
  const consoleTail = vm.consoleText();
  const panicked = /Kernel panic - not syncing/.test(consoleTail);
  check(
    'hwwatchdog: after a kernel panic with no reboot of its own, the hardware watchdog resets the machine and the daemon comes back',
    vm.alive() && vm.child?.pid === pid && panicked && newBoot !== '' && readyAgain,
    `after ${secs} s: qemu alive ${vm.alive()}, panic on the console ${panicked}, new boot id ${newBoot || '(none)'}, daemon ready ${readyAgain}`,
    `console tail: ${consoleTail.split('\n').slice(-15).join('\n')}`,
  );
  note(newBoot ? `hwwatchdog: machine back ${secs} s after the panic` : `hwwatchdog: no reset in ${secs} s after the panic`);
  if (knownPaidUid && readyAgain) {
    const code = returnCode((await vm.soap(pollXml(knownPaidUid))).body);
    check('hwwatchdog: after the reset the daemon still has the session paid before the hang (PayPoll 0)', code === 0, `PayPoll ${code}`);
  }
}
