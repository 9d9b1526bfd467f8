/**
 * The VM test's checks (make test-vm, make test-powercut), run from the host against the virtual machine
 * of make-disks.sh in WORK. Prints TAP and ends with "vm test: N passed, N failed".
 *
 * Usage: node --import tsx test/vm/run.ts --work WORK [--checks boot,watchdog,serial,gpio,i2c,hopper,reports,usb,hwwatchdog,powercut,powercut-nbd]
 *          [--cuts N] [--nbd-cuts N] [--coins N] [--seed S]
 */
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { checkBoot } from './check-boot.js';
import { checkGpio } from './check-gpio.js';
import { checkI2c } from './check-i2c.js';
import { checkHopper } from './check-hopper.js';
import { checkSerial, SERIAL_QEMU_ARGS } from './check-serial.js';
import { checkWatchdog } from './check-watchdog.js';
import { checkHwWatchdog, HWWATCHDOG_QEMU_ARGS } from './check-hwwatchdog.js';
import { checkUsb, USB_QEMU_ARGS } from './check-usb.js';
import { checkReports, pointAtStandIn, reportsNetwork } from './check-reports.js';
import { runPowerCuts } from './check-powercut.js';
import { counts, notOk, note } from './tap.js';
import { Vm } from './vm.js';

const { values } = parseArgs({
  options: {
    work: { type: 'string' },
    // Not in the default set: hwwatchdog (a reboot of the machine, ~2-3 min more than CI's budget allows).
    // gpio and hopper are: the daemon reads the lines in its GPIO helper process
    // (test/vm/README.md, "GPIO timing under TCG", the runs with the helper process).
    checks: { type: 'string', default: 'boot,watchdog,i2c,gpio,hopper,serial,reports,usb,powercut,powercut-nbd' },
    coins: { type: 'string', default: '200' },
    cuts: { type: 'string', default: '10' },
    'nbd-cuts': { type: 'string', default: '2' },
    seed: { type: 'string' },
  },
});
const work = values.work!;
const checks = new Set(values.checks!.split(','));
const seed = Number(values.seed ?? process.env.POWERCUT_SEED ?? Date.now() % 2 ** 31);
const started = Date.now();
const here = import.meta.dirname;

async function main(): Promise<void> {
  // The checks on one running machine share its boot.
  if (['boot', 'gpio', 'i2c', 'hopper', 'serial', 'watchdog', 'reports', 'usb', 'hwwatchdog'].some((c) => checks.has(c))) {
    const hw = checks.has('hwwatchdog');
    const reports = checks.has('reports') ? await reportsNetwork() : null;
    const vm = new Vm({
      work,
      dataDrive: { kind: 'file', file: join(work, 'data.img') },
      console: 'console-boot.log',
      extraArgs: [...SERIAL_QEMU_ARGS, ...USB_QEMU_ARGS, ...(hw ? HWWATCHDOG_QEMU_ARGS : []), ...(reports?.args ?? [])],
      // The hardware watchdog's reset must restart the machine, not end qemu.
      resetReboots: hw,
    });
    const t0 = Date.now();
    await vm.start();
    try {
      // As long as the power cuts wait for a boot: on a busy host the kernel alone took 145 s to reach
      // user space here, and the daemon was ready after 260-275 s.
      if (!(await vm.waitReady(480_000))) {
        notOk('boot: the daemon becomes ready', 'not ready in 480 s; console tail:', vm.consoleText().split('\n').slice(-30).join('\n'));
        return;
      }
      const paid = checks.has('boot') ? await checkBoot(vm, Date.now() - t0) : null;
      if (checks.has('watchdog')) await checkWatchdog(vm, paid);
      if (checks.has('gpio')) await checkGpio(vm, { coins: Number(values.coins), seed });
      if (checks.has('i2c')) await checkI2c(vm, { seed });
      if (checks.has('hopper')) await checkHopper(vm, { seed });
      if (checks.has('serial')) await checkSerial(vm, seed);
      if (reports) await checkReports(vm, reports.server);
      if (checks.has('usb')) await checkUsb(vm, work, paid);
      // Last on this machine: it resets it.
      if (checks.has('hwwatchdog')) await checkHwWatchdog(vm, paid);
    } finally {
      await vm.stop();
      await reports?.server.stop();
    }
  }
  if (checks.has('powercut')) {
    // The reports network too: after the cuts every paid session must have reached the stand-in.
    const reports = await reportsNetwork();
    const vm = new Vm({ work, dataDrive: { kind: 'file', file: join(work, 'data.img') }, console: 'console-powercut.log', extraArgs: reports.args });
    try {
      await runPowerCuts(vm, {
        label: 'power cuts (data disk cache=none)',
        cuts: Number(values.cuts),
        seed,
        reports: { server: reports.server, configure: (v) => pointAtStandIn(v) },
      });
    } finally {
      await reports.server.stop();
    }
  }
  if (checks.has('powercut-nbd')) {
    // A fresh copy of the empty data partition behind the write-cache model.
    const image = join(work, 'data-nbd.img');
    execFileSync('cp', ['--sparse=always', join(work, 'data-empty.img'), image]);
    const socket = join(work, 'nbd.sock');
    let server: Promise<string> = Promise.resolve('');
    let boot = 0;
    const vm = new Vm({ work, dataDrive: { kind: 'nbd', socket }, console: 'console-nbd.log' });
    await runPowerCuts(vm, {
      label: 'power cuts (data disk with a volatile write cache, NBD)',
      cuts: Number(values['nbd-cuts']),
      seed: seed + 1,
      beforeBoot: async () => {
        const child = spawn('/usr/bin/python3', [join(here, 'nbd-cache-disk.py'), image, socket, String(seed + 1000 * ++boot)], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.setEncoding('utf8');
        await new Promise<void>((res) => child.stdout.on('data', (d: string) => {
          out += d;
          if (out.includes('listening')) res();
        }));
        server = new Promise((res) => child.on('exit', () => res(out.split('\n').filter((l) => l.startsWith('{')).join(''))));
      },
      afterCut: async () => {
        const stats = await server;
        try {
          const s = JSON.parse(stats) as { unflushed_at_cut: number; dropped: number; flushes: number };
          return `(write cache: ${s.flushes} flushes; ${s.unflushed_at_cut} unflushed sectors at the cut, ${s.dropped} dropped)`;
        } catch {
          return `(write cache: ${stats})`;
        }
      },
    });
  }
}

main()
  .catch((e: Error) => notOk('vm test ran to the end', e.stack ?? String(e)))
  .finally(() => {
    console.log(`1..${counts.n}`);
    note(`vm test checks took ${((Date.now() - started) / 1000).toFixed(0)} s`);
    console.log(`vm test: ${counts.pass} passed, ${counts.fail} failed`);
    process.exit(counts.fail > 0 || counts.n === 0 ? 1 : 0);
  });
