/**
 * VM check "GPIO": the coin acceptor and the cancel button on kernel GPIO lines of gpio-sim (built out
 * of tree for the VM's kernel), through the daemon's real onoff/epoll path (sysfs export, edge=both,
 * epoll). The daemon is switched to the board coin acceptor and cancel button of test/vm/guest's
 * profile (the reference board's pulse line, timings and pulse table; chip found by label, base looked
 * up by the daemon). The host plays pulse trains through the guest (pulse-player: 50 ms pulses and gaps
 * as the reference CH-926 "medium" setting) while Pays run, and the stored credits must be exactly the
 * coins on the line, over at least 200 coins, each session paid. A press of the cancel button cancels.
 *
 * "On the line" is what the player's own record of its edges decodes to with the profile's pure decoder
 * (codecs/pulse, tested on captured trains): under TCG a virtual CPU can stall for 100 ms and more while
 * the host is busy, which stretches a pulse beyond what a CH-926 sends (it then spoils its coin, rightly).
 * Those coins are counted and printed, not blamed on the daemon; the check plays until 200 coins reached
 * the line intact, and fails if more than a fifth did not.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { payXml, returnCode } from '../helpers/daemon.js';
import { newestByUid, readDatafile } from '../../src/services/store/session-file-reader.js';
import { PulseDecoder } from '../../src/codecs/pulse/pulse-decoder.js';
import type { Edge } from '../../src/transports/gpio/line.js';
import { rng } from '../helpers/rng.js';
import { pollUntil, waitIdle, withDaemonConfig } from './daemon-config.js';
import { pressLine, simPull } from './guest-lines.js';
import { check, expect, note } from './tap.js';
import { sleep, type Vm } from './vm.js';

const PROFILE = '/usr/local/share/paypoint-vm/vm-gpio-profile.json';
/** The coin acceptor of that profile (the reference board's). */
const DECODER = { minPulseMs: 20, maxPulseMs: 120, minGapMs: 5, trainEndMs: 200, values: { 1: 100, 2: 200, 5: 500, 10: 1000 } as Record<number, number> };
const COUNTS = [1, 2, 5, 10];
const TRACE = '/run/pulse-trace';
const HELPER_TRACE = '/var/lib/paypoint/gpio-trace';
const DROPIN = '/run/systemd/system/paypoint.service.d';

/** Credits the pure decoder finds in the player's record ("NS LEVEL" per edge); the coin acceptor's by default. */
export function decodeRecord(record: string, decoder: ConstructorParameters<typeof PulseDecoder>[0] = DECODER): number[] {
  const edges: Edge[] = record
    .trim()
    .split('\n')
    .filter((l) => /^\d+ [01]$/.test(l))
    .map((l) => {
      const [t, v] = l.split(' ');
      return { level: Number(v) as 0 | 1, at: BigInt(t) };
    });
  const d = new PulseDecoder(decoder);
  const out: number[] = [];
  const take = (evs: ReturnType<PulseDecoder['edge']>) => evs.forEach((e) => e.kind === 'credit' && out.push(e.value));
  for (const e of edges) {
    take(d.tick(e.at));
    take(d.edge(e));
  }
  if (edges.length > 0) take(d.tick(edges[edges.length - 1].at + 60_000_000_000n));
  return out;
}

/** How many of the coins played are on the line, in order (longest common subsequence). */
function commonCoins(a: number[], b: number[]): number {
  const row = new Array<number>(b.length + 1).fill(0);
  for (const x of a) {
    let diag = 0;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j];
      row[j] = x === b[j - 1] ? diag + 1 : Math.max(row[j], row[j - 1]);
      diag = up;
    }
  }
  return row[b.length];
}

export async function checkGpio(vm: Vm, opts: { coins: number; seed: number }): Promise<void> {
  const chips = await vm.shell('for c in /sys/class/gpio/gpiochip*; do echo "$(cat $c/label) $(cat $c/base) $(cat $c/ngpio)"; done');
  const sim = chips.split('\n').find((l) => l.startsWith('paypoint-vm-gpio '));
  if (!check('gpio: gpio-sim chip "paypoint-vm-gpio" is live on the VM kernel', !!sim, chips, await vm.shell('systemctl status paypoint-vm-gpio-sim --no-pager 2>&1 | tail -n 15'))) return;
  note(`gpio: chip ${sim}`);
  const pull = simPull;
  const press = () => pressLine(vm, 26);

  await withDaemonConfig(
    vm,
    {
      extraToml: `[devices]\ncoin = "board"\ncancel_button = "board"\nboard_profile = "${PROFILE}"\n`,
      label: 'gpio: the daemon restarts with the board coin acceptor and cancel button on GPIO',
      // The helper's edge trace (onoff-helper.ts), compared with the player's record per session.
      before: `mkdir -p ${DROPIN}; printf '[Service]\\nEnvironment=PAYPOINT_GPIO_TRACE=${HELPER_TRACE}\\n' > ${DROPIN}/gpio-trace.conf; systemctl daemon-reload`,
    },
    async () => {
      const exported = (await vm.shell('ls -d /sys/class/gpio/gpio* | grep -v gpiochip; cat /sys/class/gpio/gpio*/edge 2>/dev/null | sort | uniq -c')).trim();
      note(`gpio: lines exported by the daemon: ${exported.replace(/\n/g, ' ')}`);
      await checkGpioHelper(vm);

      // The cancel button: a Pay, one press (200 ms low), the session is cancelled.
      const cuid = `vm-gpio-cancel-${opts.seed}`;
      expect('gpio: Pay for the cancel button accepted', returnCode((await vm.soap(payXml(cuid, 1000, [{ id: '1', name: 'x', count: 1, cost: 1000 }]))).body), 0);
      await press();
      expect('gpio: a press of the cancel button (line 26) cancels the session (PayPoll 2)', await pollUntil(vm, cuid, 2, 30_000), 2);

      // Coins: sessions of up to 20 coins until `coins` reached the line intact.
      const rnd = rng(opts.seed);
      let intact = 0;
      let played = 0;
      let session = 0;
      const stretched: string[] = [];
      const problems: string[] = [];
      const players: string[] = [];
      const t0 = Date.now();
      const latencies: number[] = [];
      let missedEdges = 0;
      let helperEdges = 0;
      let writtenEdges = 0;
      while (intact < opts.coins && played < opts.coins * 2) {
        const n = Math.min(20, opts.coins - intact);
        const counts = Array.from({ length: n }, () => COUNTS[Math.floor(rnd() * COUNTS.length)]);
        const values = counts.map((c) => DECODER.values[c]);
        const amount = values.reduce((a, v) => a + v, 0);
        const uid = `vm-gpio-${opts.seed}-${session++}`;
        await waitIdle(vm, press);
        await vm.shell(`if [ -e ${HELPER_TRACE} ]; then : > ${HELPER_TRACE}; fi`);
        const pay = returnCode((await vm.soap(payXml(uid, amount, [{ id: '1', name: 'coins', count: 1, cost: amount }]))).body);
        if (pay !== 0) {
          problems.push(`${uid}: Pay answered ${pay}`);
          break;
        }
        await sleep(300); // the acceptor is enabled (inhibit released) once the session is stored
        const out = await vm.shell(`rm -f ${TRACE}; PULSE_TRACE=${TRACE} pulse-player ${pull(27)} 50 50 300 ${counts.join(' ')}; echo rc=$?`, 600_000);
        if (!/rc=0/.test(out)) problems.push(`pulse-player: ${out}`);
        players.push(out.split('\n').find((l) => l.startsWith('played')) ?? out.trim());
        played += n;
        const record = await vm.shell(`cat ${TRACE}`);
        const wire = decodeRecord(record);
        const same = (a: number[], b: number[]) => a.length === b.length && a.every((v, i) => v === b[i]);
        const kept = commonCoins(values, wire);
        intact += kept;
        if (kept < n || wire.length !== n) stretched.push(`${uid}: played ${values.join(',')}; on the line ${wire.join(',')}`);
        const wireSum = wire.reduce((a, v) => a + v, 0);
        const code = await pollUntil(vm, uid, wireSum >= amount ? 0 : 1, 30_000);
        const dir = mkdtempSync(join(tmpdir(), 'paypoint-vm-gpio-'));
        try {
          writeFileSync(join(dir, 'sessions.db'), await vm.shell('cat /var/lib/paypoint/sessions.db'));
          const s = newestByUid(readDatafile(dir).sessions).get(uid);
          const got = s ? s.credits.filter((c) => c.source !== 'card').map((c) => c.value) : [];
          // The helper appends its trace once a second: wait until it holds as many coin-line edges as the
          // player wrote (fewer stay possible: a late read coalesces edges), at most 4 s.
          let read = compareTrace(record, await vm.shell(`cat ${HELPER_TRACE}`));
          for (let i = 0; i < 8 && read.edges < read.written; i++) {
            await sleep(500);
            read = compareTrace(record, await vm.shell(`cat ${HELPER_TRACE}`));
          }
          latencies.push(...read.latencies);
          missedEdges += read.missed;
          helperEdges += read.edges;
          writtenEdges += read.written;
          if (!same(got, read.decoded)) problems.push(`${uid}: the daemon stored other credits than the helper's edges decode to: ${read.decoded.join(',')}`);
          if (!same(got, wire) || (wireSum >= amount && code !== 0)) {
            problems.push(`${uid}: ${wire.length} coins on the line (${wireSum} kop.), ${got.length} credits stored (${got.reduce((a, v) => a + v, 0)} kop.), PayPoll ${code}`);
            problems.push(`  on the line: ${wire.join(',')}`, `  stored:      ${got.join(',')}`);
          }
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }
      // A session the line left short stays open: the button ends it (also before the next Pay).
      await waitIdle(vm, press);
      note(`gpio: ${played} coins played (${session} sessions) in ${((Date.now() - t0) / 1000).toFixed(0)} s; ${intact} reached the line intact`);
      const pct = (p: number) => (latencies.length ? [...latencies].sort((a, b) => a - b)[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))].toFixed(1) : '-');
      note(`gpio: the helper read ${helperEdges} edges of the ${writtenEdges} the player wrote (${missedEdges} marked missed); read after the write by ${pct(50)} ms median, ${pct(90)} p90, ${pct(99)} p99, ${pct(100)} max`);
      await vm.shell(`rm -f ${DROPIN}/gpio-trace.conf ${HELPER_TRACE}; systemctl daemon-reload`);
      note(`gpio: the player's measured spells per session: ${players.join(' | ')}`);
      if (stretched.length > 0) note(`gpio: coins the machine's stalls stretched beyond the CH-926's timing (decoded from the player's record):\n${stretched.join('\n')}`);
      check(`gpio: every coin on line 27 stored exactly as the line carried it, every full session paid (${intact} intact coins)`, problems.length === 0 && intact >= opts.coins, ...problems);
      check('gpio: at most a fifth of the coins played were stretched by the machine', played - intact <= played / 5, ...stretched);
    },
  );
}

/**
 * onoff runs in the GPIO helper process only (src/transports/gpio/onoff-helper.ts), at the nice value the
 * unit's LimitNICE= allows: the helper's own thread and epoll's watcher thread (created after the helper
 * lowered its priority) at -10, and epoll's addon mapped in the helper, never in the daemon's process.
 */
async function checkGpioHelper(vm: Vm): Promise<void> {
  const out = await vm.shell(
    // No pgrep in the guest: the daemon's children from /proc (CONFIG_PROC_CHILDREN).
      'm=$(systemctl show -p MainPID --value paypoint); h=$(for c in $(cat /proc/$m/task/*/children); do tr "\\0" " " </proc/$c/cmdline | grep -q onoff-helper && echo $c; done | head -n1); echo "main=$m helper=$h"; ' +
      'echo "epoll-in-main=$(grep -c epoll.node /proc/$m/maps)"; echo "epoll-in-helper=$(grep -c epoll.node /proc/$h/maps)"; ' +
      'echo "rss-kB main=$(awk \'/VmRSS/{print $2}\' /proc/$m/status) helper=$(awk \'/VmRSS/{print $2}\' /proc/$h/status)"; ' +
      'journalctl -u paypoint -o cat --no-pager | grep "gpio: helper" | tail -n1; ' +
      'for t in /proc/$h/task/*; do echo "task $(basename $t) $(cat $t/comm | tr " " _) $(sed "s/.*) //" $t/stat | cut -d" " -f17)"; done',
  );
  const field = (k: string) => new RegExp(`${k}=(\\S*)`).exec(out)?.[1] ?? '';
  const helper = field('helper');
  check('gpio: onoff is loaded in the GPIO helper process only (epoll.node mapped there, not in the daemon)', helper !== '' && field('epoll-in-main') === '0' && Number(field('epoll-in-helper')) > 0, out);
  const tasks = [...out.matchAll(/^task (\d+) (\S+) (-?\d+)$/gm)].map((m) => ({ tid: m[1], comm: m[2], nice: Number(m[3]) }));
  note(`gpio: ${/rss-kB .*/.exec(out)?.[0] ?? ''}`);
  note(`gpio: helper ${helper} threads (tid comm nice): ${tasks.map((t) => `${t.tid} ${t.comm} ${t.nice}`).join(', ')}`);
  const main = tasks.find((t) => t.tid === helper);
  // The helper's thread and epoll's watcher (created later by it) at least: two threads at -10.
  check('gpio: the GPIO helper runs at nice -10 (its own thread and the epoll watcher it starts)', main?.nice === -10 && tasks.filter((t) => t.nice === -10).length >= 2, out);
}

/**
 * The helper's trace ("NS LEVEL ID [m]") against the player's record ("NS LEVEL"), both CLOCK_MONOTONIC in
 * the guest: how late each edge was read after it was written, and the credits the helper's edges decode
 * to (what the daemon must have stored if nothing between the helper and the store lost an edge).
 */
function compareTrace(record: string, trace: string): { latencies: number[]; missed: number; edges: number; written: number; decoded: number[] } {
  const written = [...record.matchAll(/^(\d+) ([01])$/gm)].map((m) => ({ at: BigInt(m[1]), level: Number(m[2]) }));
  const lines = [...trace.matchAll(/^(\d+) ([01]) (\d+)( m)?$/gm)];
  // The coin line: the line with the most edges (a button press may be in the trace too).
  const ids = new Map<string, number>();
  for (const m of lines) ids.set(m[3], (ids.get(m[3]) ?? 0) + 1);
  const coin = [...ids.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  const read: Edge[] = lines.filter((m) => m[3] === coin).map((m) => ({ at: BigInt(m[1]), level: Number(m[2]) as 0 | 1, ...(m[4] ? { missed: true as const } : {}) }));
  const latencies: number[] = [];
  for (const e of read) {
    if (e.missed) continue;
    const w = written.filter((x) => x.at <= e.at && x.level === e.level).pop();
    if (w) latencies.push(Number(e.at - w.at) / 1e6);
  }
  const d = new PulseDecoder(DECODER);
  const decoded: number[] = [];
  const take = (evs: ReturnType<PulseDecoder['edge']>) => evs.forEach((e) => e.kind === 'credit' && decoded.push(e.value));
  for (const e of read) {
    take(d.tick(e.at));
    take(d.edge(e));
  }
  if (read.length > 0) take(d.tick(read[read.length - 1].at + 60_000_000_000n));
  return { latencies, missed: read.filter((e) => e.missed).length, edges: read.length, written: written.length, decoded };
}
