/**
 * What the checks that rewire the daemon share: the daemon restarted on the boot configuration plus a
 * check's own TOML (its devices and board profile), the configuration restored afterwards, and PayPoll
 * repeated until a session reaches a state.
 */
import { pollXml, returnCode } from '../helpers/daemon.js';
import { check } from './tap.js';
import { sleep, type Vm } from './vm.js';

/** The daemon's configuration file on the VM's config partition. */
export const CONFIG = '/etc/paypoint/paypoint.toml';

/** PayPoll every 500 ms until it answers `want` or `ms` pass; the last answer. */
export async function pollUntil(vm: Vm, uid: string, want: number, ms: number): Promise<number | null> {
  const end = Date.now() + ms;
  let code: number | null = null;
  while (Date.now() < end) {
    code = returnCode((await vm.soap(pollXml(uid))).body);
    if (code === want) return code;
    await sleep(500);
  }
  return code;
}

/**
 * Restarts the daemon on the boot configuration plus `extraToml`, checks (as `label`) that it becomes
 * ready, runs `body` if it did, and always writes the boot configuration back (the next check restarts
 * the daemon, or the next boot reads it). `before` runs in the guest before the restart; `edit` changes
 * the boot configuration's own tables (a key of [unit], say) before `extraToml` is appended.
 */
export async function withDaemonConfig(
  vm: Vm,
  opts: { extraToml: string; label: string; before?: string; readyMs?: number; edit?: (toml: string) => string },
  body: () => Promise<void>,
): Promise<void> {
  const original = await vm.shell(`cat ${CONFIG}`);
  try {
    await vm.shell(`${opts.before ?? ''}\ncat > ${CONFIG} <<'EOF'\n${opts.edit ? opts.edit(original) : original}\n${opts.extraToml}\nEOF\nsystemctl restart paypoint.service`, 180_000);
    // A daemon that cannot start is restarted until its unit's start limit reboots the machine (qemu then
    // exits: -no-reboot): the journal may be out of reach.
    const ready = await vm.waitReady(opts.readyMs ?? 180_000);
    if (!check(opts.label, ready, await vm.shell('journalctl -u paypoint -n 30 --no-pager -o cat').catch((e: Error) => `guest shell: ${e.message}`))) return;
    await body();
  } finally {
    if (vm.alive()) await vm.shell(`cat > ${CONFIG} <<'EOF'\n${original}\nEOF\nsync`);
  }
}

/**
 * Waits until the daemon has no session in progress (a cancelled one may still be paying back); `press`
 * (the check's cancel button) ends one that is still waiting for money. True when idle within `ms`.
 */
export async function waitIdle(vm: Vm, press: () => Promise<unknown>, ms = 90_000): Promise<boolean> {
  const end = Date.now() + ms;
  let pressed = 0;
  while (Date.now() < end) {
    const st = await vm.sim({ cmd: 'status' }).catch(() => null);
    const s = st?.ok ? (st.data as { session: { state: string } | null }).session : undefined;
    if (s === null) return true;
    if (s?.state === 'paying' && pressed++ % 10 === 0) await press();
    await sleep(500);
  }
  return false;
}
