/**
 * VM check "GPIO": the coin acceptor and the cancel button on kernel GPIO lines of gpio-sim (built out
 * of tree for the VM's kernel), through the daemon's real onoff/epoll path (sysfs export, edge=both,
 * epoll). The daemon is switched to the board coin acceptor and cancel button of test/vm/guest's
 * profile (the reference board's pulse line, timings and pulse table; chip found by label, base looked
 * up by the daemon). The host plays pulse trains through the guest (pulse-player: 50 ms pulses and gaps
 * as the reference CH-926 "medium" setting) while Pays run; the stored credits must be exactly the coins
 * played, over at least 200 coins, and each session paid. A press of the cancel button cancels a session.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { payXml, pollXml, returnCode } from '../helpers/daemon.js';
import { newestByUid, readDatafile } from '../../src/services/store/session-file-reader.js';
import { prng } from './check-powercut.js';
import { check, expect, note } from './tap.js';
import { sleep, type Vm } from './vm.js';

const PULSES: Record<number, number> = { 1: 100, 2: 200, 5: 500, 10: 1000 };
const COUNTS = [1, 2, 5, 10];
const CONFIG = '/etc/paypoint/paypoint.toml';

async function pollUntil(vm: Vm, uid: string, want: number, ms: number): Promise<number | null> {
  const end = Date.now() + ms;
  let code: number | null = null;
  while (Date.now() < end) {
    code = returnCode((await vm.soap(pollXml(uid))).body);
    if (code === want) return code;
    await sleep(500);
  }
  return code;
}

export async function checkGpio(vm: Vm, opts: { coins: number; seed: number }): Promise<void> {
  const chips = await vm.shell('for c in /sys/class/gpio/gpiochip*; do echo "$(cat $c/label) $(cat $c/base) $(cat $c/ngpio)"; done');
  const sim = chips.split('\n').find((l) => l.startsWith('paypoint-vm-gpio '));
  if (!check('gpio: gpio-sim chip "paypoint-vm-gpio" is live on the VM kernel', !!sim, chips, await vm.shell('systemctl status paypoint-vm-gpio-sim --no-pager 2>&1 | tail -n 15'))) return;
  note(`gpio: chip ${sim}`);
  const pull = (line: number) => `/sys/devices/platform/$(cat /sys/kernel/config/gpio-sim/vm/dev_name)/$(cat /sys/kernel/config/gpio-sim/vm/bank0/chip_name)/sim_gpio${line}/pull`;

  const original = await vm.shell(`cat ${CONFIG}`);
  const boardConfig = `${original}\n[devices]\ncoin = "board"\ncancel_button = "board"\nboard_profile = "/usr/local/share/paypoint-vm/vm-gpio-profile.json"\n`;
  await vm.shell(`cat > ${CONFIG} <<'EOF'\n${boardConfig}\nEOF\nsystemctl restart paypoint.service`, 180_000);
  try {
    if (!check('gpio: the daemon restarts with the board coin acceptor and cancel button on GPIO', await vm.waitReady(180_000), await vm.shell('journalctl -u paypoint -n 30 --no-pager'))) return;
    const exported = (await vm.shell('ls -d /sys/class/gpio/gpio* | grep -v gpiochip; cat /sys/class/gpio/gpio*/edge 2>/dev/null | sort | uniq -c')).trim();
    note(`gpio: lines exported by the daemon: ${exported.replace(/\n/g, ' ')}`);

    // The cancel button: a Pay, one press (200 ms low), the session is cancelled.
    const cuid = `vm-gpio-cancel-${opts.seed}`;
    expect('gpio: Pay for the cancel button accepted', returnCode((await vm.soap(payXml(cuid, 1000, [{ id: '1', name: 'x', count: 1, cost: 1000 }]))).body), 0);
    await vm.shell(`pulse-player ${pull(26)} 200 50 300 1`);
    expect('gpio: a press of the cancel button (line 26) cancels the session (PayPoll 2)', await pollUntil(vm, cuid, 2, 30_000), 2);

    // Coins: sessions of up to 50 coins, each paid exactly by the coins played.
    const rnd = prng(opts.seed);
    let played = 0;
    let session = 0;
    const problems: string[] = [];
    const t0 = Date.now();
    while (played < opts.coins) {
      const n = Math.min(50, opts.coins - played);
      const counts = Array.from({ length: n }, () => COUNTS[Math.floor(rnd() * COUNTS.length)]);
      const values = counts.map((c) => PULSES[c]);
      const amount = values.reduce((a, v) => a + v, 0);
      const uid = `vm-gpio-${opts.seed}-${session++}`;
      const pay = returnCode((await vm.soap(payXml(uid, amount, [{ id: '1', name: 'coins', count: 1, cost: amount }]))).body);
      if (pay !== 0) {
        problems.push(`${uid}: Pay answered ${pay}`);
        break;
      }
      await sleep(300); // the acceptor is enabled (inhibit released) once the session is stored
      const out = await vm.shell(`pulse-player ${pull(27)} 50 50 300 ${counts.join(' ')}; echo rc=$?`, 600_000);
      if (!/rc=0/.test(out)) problems.push(`pulse-player: ${out}`);
      played += n;
      const code = await pollUntil(vm, uid, 0, 30_000);
      const dir = mkdtempSync(join(tmpdir(), 'paypoint-vm-gpio-'));
      try {
        writeFileSync(join(dir, 'sessions.db'), await vm.shell('cat /var/lib/paypoint/sessions.db'));
        const s = newestByUid(readDatafile(dir).sessions).get(uid);
        const got = s ? s.credits.filter((c) => c.source !== 'card').map((c) => c.value) : [];
        const same = got.length === values.length && got.every((v, i) => v === values[i]);
        if (!same || code !== 0) {
          problems.push(`${uid}: played ${values.length} coins (${amount} kop.), stored ${got.length} credits (${got.reduce((a, v) => a + v, 0)} kop.), PayPoll ${code}`);
          problems.push(`  played: ${values.join(',')}`, `  stored: ${got.join(',')}`);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    note(`gpio: ${played} coins (${session} sessions) played in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    check(`gpio: ${played} coins as pulse trains on line 27, each stored exactly and every session paid`, problems.length === 0 && played >= opts.coins, ...problems);
  } finally {
    // The configuration as it was; the next check restarts the daemon (or the next boot reads it).
    await vm.shell(`cat > ${CONFIG} <<'EOF'\n${original}\nEOF\nsync`);
  }
}
