/**
 * VM check "watchdog": a hung daemon (SIGSTOP of its main process: no more WATCHDOG=1) is killed and
 * restarted by systemd's service watchdog (the unit's own WatchdogSec, WatchdogSignal, Restart=always),
 * and the new daemon has the data of the old one.
 */
import { pollXml, returnCode } from '../helpers/daemon.js';
import { check, note } from './tap.js';
import { sleep, type Vm } from './vm.js';

async function props(vm: Vm): Promise<Record<string, string>> {
  const out = await vm.shell('systemctl show -p MainPID,ActiveState,NRestarts,WatchdogUSec paypoint.service');
  return Object.fromEntries(out.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

export async function checkWatchdog(vm: Vm, knownPaidUid: string | null): Promise<void> {
  const before = await props(vm);
  note(`watchdog: paypoint.service WatchdogUSec=${before.WatchdogUSec}, MainPID ${before.MainPID}, NRestarts ${before.NRestarts}`);
  const t0 = Date.now();
  await vm.shell(`kill -STOP ${Number(before.MainPID)}`);
  let after = before;
  while (Date.now() - t0 < 300_000) {
    await sleep(2000);
    after = await props(vm);
    if (after.MainPID !== before.MainPID && after.MainPID !== '0' && after.ActiveState === 'active') break;
  }
  const restarted = after.MainPID !== before.MainPID && after.ActiveState === 'active' && Number(after.NRestarts) > Number(before.NRestarts);
  const log = await vm.shell(`journalctl -b -u paypoint.service --no-pager -o cat | grep -i -m 3 watchdog`);
  check(
    'watchdog: a hung daemon (SIGSTOP) is killed by systemd\'s watchdog and restarted',
    restarted && /watchdog timeout/i.test(log),
    `before: ${JSON.stringify(before)}`,
    `after ${((Date.now() - t0) / 1000).toFixed(0)} s: ${JSON.stringify(after)}`,
    `journal: ${log.trim()}`,
  );
  note(`watchdog: restarted in ${((Date.now() - t0) / 1000).toFixed(0)} s (${log.trim().split('\n')[0] ?? ''})`);
  if (knownPaidUid) {
    const ready = await vm.waitReady(300_000);
    const code = ready ? returnCode((await vm.soap(pollXml(knownPaidUid))).body) : null;
    check('watchdog: the restarted daemon still has the session paid before the hang (PayPoll 0)', code === 0, `ready ${ready}, PayPoll ${code}`);
  }
}
