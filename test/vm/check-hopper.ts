/**
 * VM check "hopper": the reference board's four change hoppers on a real kernel. The daemon runs the
 * reference profile (board/profiles/reference-pi4.json) as it is, but for where the lines are in the VM:
 * the Pi GPIO lines on the gpio-sim chip (coin-out sensors on lines 5, 6, 13, 19, error lines on 12, 16,
 * 20, 21, the coin pulse on 27, the cancel button on 26), the MCP23017 on the i2c-stub bus (its number
 * depends on the machine) and no INT line (i2c-stub raises none: the driver polls). So the motors are bits
 * 1-4 of the expander's OLATB (pins 9-12), written by the MCP23017 driver through the i2c-bus addon, and
 * the coin-out and error lines are read through onoff/epoll.
 *
 * In the guest, pulse-player's hopper mode plays the hoppers: it polls OLATB through i2c-dev and, while a
 * motor bit is set, plays coin-out pulses on that hopper's line (one coin each), recording every edge.
 * Payouts are made the way a customer causes them: change (a 10 RUB coin on the pulse line for a 1 RUB
 * Pay) and a refund (5 x 10 RUB inserted, then the cancel button). Each stored payout must be exactly the
 * coins the coin-out lines carried (per hopper), the cash inventory and the driver's levels must go down
 * by exactly those coins, every motor must be off afterwards. The width rule is the profile's
 * (coinPulse): a pulse the machine stretched beyond it (a stalled virtual CPU) is no coin on the line,
 * for the driver as for this check; such pulses are counted and printed.
 *
 * Last, an error code train (3 pulses) on the 1 RUB hopper's error line: /api/status reports the fault.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { payXml, pollXml, REPO, returnCode } from '../helpers/daemon.js';
import { newestByUid, readDatafile } from '../../src/services/store/session-file-reader.js';
import type { StoredSession } from '../../src/services/store/session-store.js';
import { sha256Hex } from '../../src/services/usb-import/admin-secret.js';
import { decodeRecord } from './check-gpio.js';
import { pollUntil, waitIdle, withDaemonConfig } from './daemon-config.js';
import { hex, i2cStub, MCP_ADDRESS, pressLine, simPull } from './guest-lines.js';
import { check, expect, note } from './tap.js';
import { sleep, type Vm } from './vm.js';

const PROFILE = '/etc/paypoint/vm-hopper-profile.json';
const TRACE = '/run/hopper-trace';
const PLAYER_OUT = '/run/hopper-player.out';
const ERROR_TRACE = '/run/hopper-error-trace';
/** The error train timings of the hopper driver (its default: the reference profile gives none), code = pulses. */
const ERROR_TRAIN = { minPulseMs: 10, maxPulseMs: 200, minGapMs: 3, trainEndMs: 300, values: Object.fromEntries(Array.from({ length: 16 }, (_, i) => [i + 1, i + 1])) };
const SECRET = 'vm-hopper-secret';
/** The expander's output latch of port B: the motors of pins 9-12 are its bits 1-4. */
const OLATB = 0x15;
/** Coins added to the hoppers at the start: the 5 and 10 RUB hoppers soon fall to their low-water mark, so
 *  the change plans move on to the 1 and 2 RUB hoppers and every hopper pays. */
const REFILL: Record<string, number> = { '100': 40, '200': 40, '500': 12, '1000': 12 };

interface Hopper {
  value: number;
  motorBit: number;
  coinOut: number;
  error: number | null;
  minPulseMs: number;
  maxPulseMs: number;
}

/** The reference profile with the VM's chip label, the stub's bus and no INT line; its hoppers' wiring. */
export function hopperProfile(bus: number): { profile: Record<string, unknown>; hoppers: Hopper[] } {
  const ref = JSON.parse(readFileSync(join(REPO, 'board/profiles/reference-pi4.json'), 'utf8')) as {
    lineProviders: { gpio: Record<string, unknown>; mcp: Record<string, unknown> };
    hoppers: Array<{ value: number; motor: { provider: string; pin: number }; coinOut: { provider: string; pin: number }; error?: { pin: number } | null; coinPulse?: { minPulseMs: number; maxPulseMs: number } }>;
  };
  const profile = {
    ...ref,
    name: 'vm-hopper',
    description: 'VM test only: board/profiles/reference-pi4.json with its Pi GPIO lines on gpio-sim and its MCP23017 on i2c-stub (polled: no INT line).',
    board: 'qemu-x86_64-gpio-sim-i2c-stub',
    lineProviders: {
      gpio: { ...ref.lineProviders.gpio, chipLabel: 'paypoint-vm-gpio' },
      mcp: { ...ref.lineProviders.mcp, bus, address: MCP_ADDRESS, interrupt: null },
    },
  };
  const hoppers = ref.hoppers.map((h) => {
    if (h.motor.provider !== 'mcp' || h.motor.pin < 8 || h.coinOut.provider !== 'gpio') throw new Error(`hopper ${h.value}: the check expects the motor on MCP port B and the coin-out on a Pi GPIO`);
    // The profile's default coin-out timing (board/profile.ts) where a hopper gives none.
    const pulse = h.coinPulse ?? { minPulseMs: 15, maxPulseMs: 120 };
    return { value: h.value, motorBit: h.motor.pin - 8, coinOut: h.coinOut.pin, error: h.error?.pin ?? null, ...pulse };
  });
  return { profile, hoppers };
}

/**
 * Coins on the coin-out lines, decoded from pulse-player's record ("NS LEVEL BIT" per edge) with the
 * profile's width rule; keeps a pulse that is still open between calls. The motor runs the player saw
 * ("NS m BITS") are kept as text for the check's diagnostics.
 */
export class CoinOutRecord {
  private seen = 0;
  private readonly open = new Map<number, bigint>();
  private motors = 0;
  private readonly runs = new Map<number, { on: bigint; coins: number }>();
  readonly stretched: string[] = [];
  /** "hopper V: motor on for N ms, K coins" per run ended since the last take(). */
  motorRuns: string[] = [];
  constructor(private readonly hoppers: Hopper[]) {}

  private motorBits(at: bigint, bits: number): void {
    for (const h of this.hoppers) {
      const b = 1 << h.motorBit;
      if (bits & b && !(this.motors & b)) this.runs.set(h.motorBit, { on: at, coins: 0 });
      const run = this.runs.get(h.motorBit);
      if (!(bits & b) && this.motors & b && run) {
        this.motorRuns.push(`hopper ${h.value}: motor on for ${(Number(at - run.on) / 1e6).toFixed(0)} ms, ${run.coins} coins`);
        this.runs.delete(h.motorBit);
      }
    }
    this.motors = bits;
  }

  /** The coins (value -> count) of the edges recorded since the last call. */
  take(record: string): Record<string, number> {
    const lines = record.split('\n');
    lines.pop(); // after the last newline: nothing, or a line still being written
    const coins: Record<string, number> = {};
    this.motorRuns = [];
    for (const l of lines.slice(this.seen)) {
      const motor = /^(\d+) m ([0-9a-f]+)$/.exec(l);
      if (motor) this.motorBits(BigInt(motor[1]), parseInt(motor[2], 16));
      const m = /^(\d+) ([01]) (\d+)$/.exec(l);
      if (!m) continue;
      const h = this.hoppers.find((x) => x.motorBit === Number(m[3]));
      if (!h) continue;
      const at = BigInt(m[1]);
      if (m[2] === '1') {
        this.open.set(h.motorBit, at);
        continue;
      }
      const start = this.open.get(h.motorBit);
      this.open.delete(h.motorBit);
      if (start === undefined) continue;
      const ms = Number(at - start) / 1e6;
      if (ms < h.minPulseMs || ms > h.maxPulseMs) this.stretched.push(`hopper ${h.value}: a coin-out pulse of ${ms.toFixed(1)} ms`);
      else {
        coins[h.value] = (coins[h.value] ?? 0) + 1;
        const run = this.runs.get(h.motorBit);
        if (run) run.coins++;
      }
    }
    this.seen = lines.length;
    return coins;
  }
}

const total = (c: Record<string, number>) => Object.entries(c).reduce((a, [v, n]) => a + Number(v) * n, 0);
const same = (a: Record<string, number>, b: Record<string, number>) => {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((k) => (a[k] ?? 0) === (b[k] ?? 0));
};
const show = (c: Record<string, number>) => JSON.stringify(Object.fromEntries(Object.entries(c).filter(([, n]) => n !== 0)));

interface CashStatus {
  devices: Array<{ kind: string; state: string; detail: string }>;
  cash: { hoppers: Array<{ value: number; count: number }>; inventory: { hoppers: Record<string, number> } };
}

async function status(vm: Vm): Promise<CashStatus> {
  return JSON.parse((await vm.http(vm.ports.status, '/api/status')).body) as CashStatus;
}

async function storedSession(vm: Vm, uid: string): Promise<StoredSession | undefined> {
  const dir = mkdtempSync(join(tmpdir(), 'paypoint-vm-hopper-'));
  try {
    writeFileSync(join(dir, 'sessions.db'), await vm.shell('cat /var/lib/paypoint/sessions.db'));
    return newestByUid(readDatafile(dir).sessions).get(uid);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function checkHopper(vm: Vm, opts: { seed: number; rounds?: number }): Promise<void> {
  const stub = await i2cStub(vm);
  if (!check('hopper: i2c-stub answers at 0x20 (the MCP23017 of the hopper motors)', stub.bus !== null, stub.setup)) return;
  // The expander's inputs as the board reads them: the empty sensors (GPA0-3, active low) say "not empty".
  await stub.set(0x12, 0xff);
  await stub.set(0x13, 0xff);
  const { profile, hoppers } = hopperProfile(stub.bus!);
  const press = () => pressLine(vm, 26);
  await withDaemonConfig(
    vm,
    {
      label: "hopper: the daemon restarts with the reference board's hoppers (motors on the MCP23017 at i2c-stub, coin-out and error lines on gpio-sim)",
      before: `cat > ${PROFILE} <<'EOF'\n${JSON.stringify(profile)}\nEOF`,
      edit: (toml) => toml.replace(/^\[unit\]$/m, `[unit]\nadmin_secret_sha256 = "${sha256Hex(SECRET)}"`),
      extraToml: `[devices]\ncoin = "board"\ncancel_button = "board"\nhoppers = "board"\nboard_profile = "${PROFILE}"\n`,
    },
    async () => {
      const lines = hoppers.map((h) => `${h.motorBit}=${simPull(h.coinOut)}`).join(' ');
      // The profile's coin-out window, as the driver-level hopper simulator derives its pulse from it.
      const pulseMs = Math.ceil((hoppers[0].minPulseMs + hoppers[0].maxPulseMs) / 3);
      const started = await vm.shell(
        `rm -f ${TRACE} ${PLAYER_OUT}; systemd-run --quiet --unit=vm-hopper-player --collect --setenv=PULSE_TRACE=${TRACE} -p StandardOutput=file:${PLAYER_OUT} -p StandardError=file:${PLAYER_OUT} ` +
          `pulse-player hopper /dev/i2c-${stub.bus} ${hex(MCP_ADDRESS)} ${hex(OLATB)} ${pulseMs} ${pulseMs} 900 ${lines}; sleep 1; systemctl is-active vm-hopper-player; cat ${PLAYER_OUT}`,
      );
      if (!check('hopper: the hopper player runs in the guest (watching OLATB bits 1-4)', /^active$/m.test(started), started)) return;
      try {
        check('hopper: no session in progress (one left open is cancelled with the button)', await waitIdle(vm, press));
        const before = await status(vm);
        const refill = await vm.http(vm.ports.status, '/api/cash/refill', 'POST', JSON.stringify({ added: REFILL, note: 'vm hopper check' }), {
          'Content-Type': 'application/json',
          'X-PayPoint-Admin-Secret': SECRET,
        });
        const filled = await status(vm);
        const levels = (s: CashStatus) => Object.fromEntries(s.cash.hoppers.map((h) => [String(h.value), h.count]));
        const diff = (a: Record<string, number>, b: Record<string, number>) => Object.fromEntries([...new Set([...Object.keys(a), ...Object.keys(b)])].map((k) => [k, (b[k] ?? 0) - (a[k] ?? 0)]));
        check(
          `hopper: a refill ${show(REFILL)} through POST /api/cash/refill (admin secret) is in the inventory and the driver's levels`,
          refill.status === 200 && same(diff(levels(before), levels(filled)), REFILL) && same(diff(before.cash.inventory.hoppers, filled.cash.inventory.hoppers), REFILL),
          `HTTP ${refill.status}: ${refill.body}`,
          `levels ${show(levels(before))} -> ${show(levels(filled))}; inventory ${show(before.cash.inventory.hoppers)} -> ${show(filled.cash.inventory.hoppers)}`,
        );

        const record = new CoinOutRecord(hoppers);
        const out: Record<string, number> = {};
        const problems: string[] = [];
        const lines: string[] = [];
        const late: string[] = [];
        const t0 = Date.now();
        const rounds = opts.rounds ?? 3;
        for (let i = 0; i < rounds * 2; i++) {
          const refund = i % 2 === 1;
          const uid = `vm-hopper-${opts.seed}-${i}`;
          await waitIdle(vm, press);
          const amount = refund ? 10_000 : 100;
          const pay = returnCode((await vm.soap(payXml(uid, amount, [{ id: '1', name: 'x', count: 1, cost: amount }]))).body);
          if (pay !== 0) {
            problems.push(`${uid}: Pay answered ${pay}`);
            break;
          }
          await sleep(300); // the acceptor is enabled once the session is stored
          await vm.shell(`pulse-player ${simPull(27)} 50 50 300 ${refund ? '10 10 10 10 10' : '10'}`, 120_000);
          // PayPoll until the session ended (0 paid, 2 cancelled).
          const ended = async () => {
            const end = Date.now() + 120_000;
            let c: number | null = null;
            while (Date.now() < end && c !== 0 && c !== 2) {
              c = returnCode((await vm.soap(pollXml(uid))).body);
              if (c !== 0 && c !== 2) await sleep(500);
            }
            return c;
          };
          let code = refund ? null : await pollUntil(vm, uid, 0, 20_000);
          if (code !== 0) {
            // A refund; or a change whose 10 RUB coin was not read as one (nothing or less is due back).
            await sleep(500);
            await press();
            code = await ended();
          }
          const s = await storedSession(vm, uid);
          const stored = s?.payout?.coins ?? {};
          const wire = record.take(await vm.shell(`cat ${TRACE}`));
          for (const [v, n] of Object.entries(wire)) out[v] = (out[v] ?? 0) + n;
          const p = s?.payout;
          lines.push(
            `${uid}: ${refund ? 'refund' : 'change'} credited ${s?.credited}, due ${p?.due ?? 0}, on the coin-out lines ${show(wire)}, stored ${show(stored)} (paid ${p?.paid ?? 0}, rest ${p?.rest ?? 0}), PayPoll ${code}`,
            ...record.motorRuns.map((r) => `  ${r}`),
          );
          if (!same(stored, wire) || (p?.paid ?? 0) !== total(wire)) problems.push(`${uid}: on the coin-out lines ${show(wire)}, stored ${show(stored)}, paid ${p?.paid ?? 0}`);
          if (p && (p.paid < p.due || p.rest !== 0)) problems.push(`${uid}: due ${p.due}, paid ${p.paid}, rest ${p.rest}`);
          // A coin started while the motor was still on leaves the hopper and is counted (run-down): more than
          // due when the motor stopped late, which a loaded TCG machine does (the runs above show it).
          if (p && p.paid > p.due) late.push(`${uid}: due ${p.due}, paid ${p.paid} (${record.motorRuns.join('; ')})`);
          if (code !== (refund ? 2 : s && s.credited >= amount ? 0 : 2)) problems.push(`${uid}: PayPoll ${code}`);
        }
        await waitIdle(vm, press);
        const coins = Object.values(out).reduce((a, n) => a + n, 0);
        note(`hopper: ${coins} coins out ${show(out)} in ${rounds * 2} sessions, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
        note(lines.join('\n'));
        check(
          `hopper: every payout stored exactly as the coin-out lines carried it, per hopper, and paid in full (${coins} coins, ${Object.keys(out).length} hoppers, ${late.length} with run-down coins)`,
          problems.length === 0 && coins > 0,
          ...problems,
          ...(problems.length > 0
            ? ['the daemon on its hoppers:', (await vm.shell("journalctl -u paypoint -o cat --no-pager | grep -E 'hopper' | tail -n 25")).trim() || '(no stray, late, wrong-width or short-payout line in its log)']
            : []),
        );
        const olatb = await stub.get(OLATB);
        check('hopper: every motor is off after the payouts (OLATB bits 1-4 = 0)', (olatb & 0x1e) === 0, `OLATB ${hex(olatb)}`);
        const after = await status(vm);
        const down = Object.fromEntries(Object.entries(out).map(([v, n]) => [v, -n]));
        check(
          "hopper: the cash inventory and the driver's levels went down by exactly the coins on the lines",
          same(diff(filled.cash.inventory.hoppers, after.cash.inventory.hoppers), down) && same(diff(levels(filled), levels(after)), down),
          `inventory ${show(filled.cash.inventory.hoppers)} -> ${show(after.cash.inventory.hoppers)}; levels ${show(levels(filled))} -> ${show(levels(after))}; on the lines ${show(out)}`,
        );
        if (late.length > 0) note(`hopper: payouts over what was due by coins counted in the run-down (the motor stopped late):\n${late.join('\n')}`);
        if (record.stretched.length > 0) note(`hopper: pulses the machine's stalls stretched beyond the profile's coin-out window:\n${record.stretched.join('\n')}`);
        check('hopper: at most a fifth of the coin-out pulses were stretched by the machine', record.stretched.length <= (coins + record.stretched.length) / 5, ...record.stretched);

        // The error line: a code train (3 pulses of 50 ms) on the 1 RUB hopper's error line while idle. The
        // code expected is the one the line carried (the player's record, decoded with the driver's error
        // train timings), which a stalled machine can make other than 3.
        const h = hoppers.find((x) => x.error !== null)!;
        await vm.shell(`rm -f ${ERROR_TRACE}; PULSE_TRACE=${ERROR_TRACE} pulse-player ${simPull(h.error!)} 50 50 400 3`);
        const codes = decodeRecord(await vm.shell(`cat ${ERROR_TRACE}`), ERROR_TRAIN);
        if (codes.length !== 1 || codes[0] !== 3) note(`hopper: the error line carried ${JSON.stringify(codes)} for a train of 3 pulses`);
        const want = `${h.value}: error code ${codes.at(-1) ?? 3}`;
        let detail = '';
        const end = Date.now() + 30_000;
        while (Date.now() < end) {
          const d = (await status(vm)).devices.find((x) => x.kind === 'dispenser');
          detail = JSON.stringify(d);
          if (d?.detail.includes(want)) break;
          await sleep(500);
        }
        check(`hopper: an error code train on line ${h.error} (hopper ${h.value}) is reported as the hopper's fault on /api/status ("${want}")`, detail.includes(want), detail);
      } finally {
        const player = await vm.shell(`systemctl stop vm-hopper-player; cat ${PLAYER_OUT}`);
        note(`hopper: player: ${player.trim().replace(/\n/g, '; ')}`);
      }
    },
  );
}
