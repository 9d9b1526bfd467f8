/**
 * The update test's checks (make test-update; test/update/README.md), run from the host against the A/B
 * virtual machine of make-ab-disks.sh booted through GRUB, with the bundles of make-bundles.sh brought
 * in on USB sticks (FAT images hot-plugged through QMP; the unit's own import path). Prints TAP and ends
 * with "update test: N passed, N failed".
 *
 * Usage: node --import tsx test/update/run.ts --work WORK [--checks refused,good,powercut,hawkbit,never-ready]
 * (boot always runs first; the others run in that order whatever the order given. The default leaves out
 * hawkbit: one more boot, to keep make test-update near its time budget; test/update/README.md)
 */
import { execFileSync } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { payXml, pollXml, returnCode } from '../helpers/daemon.js';
import { plug, unplug, USB_QEMU_ARGS } from '../vm/check-usb.js';
import { check, counts, expect, note, notOk } from '../vm/tap.js';
import { sleep, Vm } from '../vm/vm.js';

export const SECRET = 'vm-update-secret';
const { values } = parseArgs({ options: { work: { type: 'string' }, checks: { type: 'string', default: 'refused,good,powercut,never-ready' } } });
const work = values.work!;
const checks = new Set(values.checks!.split(','));
const started = Date.now();
const bundles = join(work, 'bundles');

function newVm(consoleName: string): Vm {
  return new Vm({ work, dataDrive: { kind: 'file', file: join(work, 'data.img') }, console: consoleName, extraArgs: USB_QEMU_ARGS, resetReboots: true, bootFromDisk: true });
}

/** A FAT stick image holding the bundle and the admin secret. */
function stick(name: string, bundle: string): string {
  const img = join(work, `stick-${name}.img`);
  const kb = Math.ceil(statSync(bundle).size / 1024) + 16 * 1024;
  execFileSync('rm', ['-f', img]);
  execFileSync('mkfs.vfat', ['-C', img, String(kb)], { stdio: 'ignore' });
  const secret = join(work, 'secret.txt');
  writeFileSync(secret, SECRET + '\n');
  execFileSync('mcopy', ['-i', img, secret, '::paypoint-secret.txt']);
  execFileSync('mcopy', ['-i', img, bundle, `::${name}.raucb`]);
  return img;
}
const readStick = (img: string, file: string) => {
  try {
    return execFileSync('mtype', ['-i', img, `::${file}`], { encoding: 'utf8' });
  } catch (e) {
    return `(mtype failed: ${(e as Error).message.split('\n')[0]})`;
  }
};

interface RaucSlotJson { bootname: string; state: string; boot_status: string; slot_status?: { bundle?: { version?: string } } }
async function raucStatus(vm: Vm): Promise<{ booted: string; slots: Record<string, RaucSlotJson> } | null> {
  const out = await vm.shell('rauc status --detailed --output-format=json 2>/dev/null', 60_000).catch(() => '');
  try {
    const j = JSON.parse(out.trim().split('\n').find((l) => l.startsWith('{')) ?? '') as { booted: string; slots: Array<Record<string, RaucSlotJson>> };
    const slots: Record<string, RaucSlotJson> = {};
    for (const e of j.slots) for (const s of Object.values(e)) slots[s.bootname] = s;
    return { booted: j.booted, slots };
  } catch {
    return null;
  }
}

const bootId = (vm: Vm) => vm.shell('cat /proc/sys/kernel/random/boot_id', 10_000).then((s) => s.trim()).catch(() => '');

/** Waits until the guest has booted anew (another boot id) and the daemon is ready again. */
async function waitReboot(vm: Vm, before: string, timeoutMs: number): Promise<string | null> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end && vm.alive()) {
    const id = await bootId(vm);
    if (id !== '' && id !== before && (await vm.waitReady(5_000))) return id;
    await sleep(3000);
  }
  return null;
}

/** Waits until the booted slot is marked good (the mark-good unit ran). */
async function waitMarkedGood(vm: Vm, timeoutMs: number): Promise<Awaited<ReturnType<typeof raucStatus>>> {
  const end = Date.now() + timeoutMs;
  let st = await raucStatus(vm);
  while (Date.now() < end && st?.slots[st.booted]?.boot_status !== 'good') {
    await sleep(3000);
    st = await raucStatus(vm);
  }
  return st;
}

const importJournal = (vm: Vm) => vm.shell("journalctl -b -o cat --no-pager -u 'paypoint-usb-import@*'").catch(() => '');
const endedCount = (j: string) => j.split('\n').filter((l) => /Deactivated successfully|Failed with result/.test(l)).length;

/** Waits until one more import unit has ended than `before` (udev may start it well after the plug). */
async function importEnded(vm: Vm, before: number, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (endedCount(await importJournal(vm)) > before) return true;
    await sleep(2000);
  }
  return false;
}

/** Offers the card approval once the terminal simulator has the session (later than Pay's answer on a loaded host). */
async function approveCard(vm: Vm): Promise<{ ok: boolean }> {
  let card = await vm.sim({ cmd: 'card', action: 'approve' });
  for (let i = 0; i < 60 && !card.ok; i++) {
    await sleep(1000);
    card = await vm.sim({ cmd: 'card', action: 'approve' });
  }
  return card;
}

/** PayPoll's answer, or null when the daemon does not answer (a reboot under way). */
const pollCode = (vm: Vm, uid: string) => vm.soap(pollXml(uid)).then((r) => returnCode(r.body), () => null);

/** PayPoll until it answers 0 (paid) or a minute passed; the last answer. */
async function pollPaid(vm: Vm, uid: string): Promise<number | null> {
  let code: number | null = null;
  for (let i = 0; i < 60 && code !== 0; i++) {
    code = returnCode((await vm.soap(pollXml(uid))).body);
    if (code !== 0) await sleep(1000);
  }
  return code;
}

interface LastUpdate { result: string; slot: string | null; summary: string }
const apiStatus = async (vm: Vm) => JSON.parse((await vm.http(vm.ports.status, '/api/status')).body) as { update?: { slotLine: string; words: string; last: LastUpdate | null }; attention?: string[] };

/** Where rauc-hawkbit-updater's download goes (services/update/hawkbit.ts: data_dir/update/hawkbit.raucb). */
const HAWKBIT_BUNDLE = '/var/lib/paypoint/update/hawkbit.raucb';
const HAWKBIT_UNIT = 'paypoint-test-hawkbit-install';

/** Puts the good bundle where the updater would have downloaded it, into the data partition (1 MiB in: make-ab-disks.sh). */
function putHawkbitDownload(): void {
  const cmds = `mkdir update\nwrite ${join(bundles, 'good.raucb')} update/hawkbit.raucb\n`;
  const out = execFileSync('debugfs', ['-w', '-f', '-', `${join(work, 'data.img')}?offset=${1024 * 1024}`], { input: cmds, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  if (!/Allocated inode/.test(out + '')) throw new Error(`debugfs did not write the bundle: ${out}`);
}

async function main(): Promise<void> {
  if (checks.has('hawkbit')) putHawkbitDownload();
  let vm = newVm('console-update.log');
  await vm.start();
  try {
    // A boot under TCG took 196 s on this machine alone, over 300 s with five other VMs running.
    if (!(await vm.waitReady(900_000))) {
      notOk('update: the unit boots slot A through GRUB and the daemon becomes ready', 'not ready in 900 s; console tail:', vm.consoleText().split('\n').slice(-30).join('\n'));
      return;
    }
    // GRUB's own marks on the kernel command line: BOOT_IMAGE with its device name, and grub.cfg's rauc.slot.
    const cmdline = (await vm.shell('cat /proc/cmdline')).trim();
    const grubLine = /^BOOT_IMAGE=\(hd0,gpt2\)\/vmlinuz .*rauc\.slot=A/.test(cmdline);
    let st = await waitMarkedGood(vm, 180_000);
    check('update: GRUB booted slot A (its kernel command line), rauc names A booted, and the unit marked it good once healthy',
      grubLine && st?.booted === 'A' && st.slots.A?.boot_status === 'good', `cmdline: ${cmdline}`, `rauc: ${JSON.stringify(st)}`);
    const uid = 'before-update';
    const pay = returnCode((await vm.soap(payXml(uid, 2500, [{ id: '1', name: 'Kefir', count: 1, cost: 2500 }]))).body);
    const card = await approveCard(vm);
    const code = await pollPaid(vm, uid);
    check('update: a session paid on slot A before the updates', pay === 0 && card.ok && code === 0, `Pay ${pay}, card ${JSON.stringify(card)}, PayPoll ${code}`);

    if (checks.has('refused')) {
      for (const [name, reason] of [
        ['bad-signature', /signature verification failed/],
        ['wrong-compatible', /compatible "some-other-box" is not this unit's "paypoint-vm-x86_64"/],
        ['truncated', /Invalid bundle format|Signature size|signature verification failed/],
      ] as const) {
        const pidBefore = (await vm.shell('systemctl show -p MainPID --value paypoint.service')).trim();
        const bootBefore = await bootId(vm);
        const img = stick(name, join(bundles, `${name}.raucb`));
        const ended = endedCount(await importJournal(vm));
        await plug(vm, `u-${name}`, img);
        await importEnded(vm, ended, 600_000);
        await unplug(vm, `u-${name}`);
        const result = readStick(img, 'paypoint-result.txt');
        const after = await raucStatus(vm);
        const pidAfter = (await vm.shell('systemctl show -p MainPID --value paypoint.service')).trim();
        check(`update: ${name} bundle from a stick refused with its reason, nothing installed, the daemon kept running`,
          /result: REFUSED/.test(result) && reason.test(result) && after?.booted === 'A' && after.slots.B?.boot_status !== 'good' &&
            pidAfter === pidBefore && (await bootId(vm)) === bootBefore,
          `result file:\n${result}`, `rauc: ${JSON.stringify(after)}`, `daemon pid ${pidBefore} -> ${pidAfter}`);
      }
    }

    if (checks.has('good')) {
      const before = await bootId(vm);
      const t0 = Date.now();
      const img = stick('good', join(bundles, 'good.raucb'));
      await plug(vm, 'u-good', img);
      const id = await waitReboot(vm, before, 900_000);
      note(`good bundle: installed and rebooted in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
      await unplug(vm, 'u-good').catch(() => false);
      const result = readStick(img, 'paypoint-result.txt');
      st = id ? await waitMarkedGood(vm, 180_000) : null;
      const marker = (await vm.shell('cat /etc/paypoint-update-test 2>&1')).trim();
      const paid = returnCode((await vm.soap(pollXml(uid))).body);
      const version = await vm.shell('paypoint --version 2>&1');
      const api = id ? await apiStatus(vm) : null;
      check('update: a good bundle from a stick installs into slot B, the unit reboots into it, keeps its data, shows the new version, and marks B good',
        id !== null && /result: INSTALLED/.test(result) && st?.booted === 'B' && st.slots.B?.boot_status === 'good' &&
          marker === 'update-test-good' && paid === 0 && /^slot: B .*bundle version: 2\.0\.0-vmtest/m.test(version) &&
          api?.update?.slotLine === 'B (bundle 2.0.0-vmtest)',
        `rebooted: ${id !== null}`, `result file:\n${result}`, `rauc: ${JSON.stringify(st)}`, `marker: ${marker}`, `PayPoll of the session paid before: ${paid}`,
        `paypoint --version:\n${version}`, `/api/status update: ${JSON.stringify(api?.update)}`);
    }

    if (checks.has('powercut')) {
      const before = await raucStatus(vm);
      const lastBefore = (await apiStatus(vm)).update?.last ?? null;
      const img = stick('good-again', join(bundles, 'good.raucb'));
      await plug(vm, 'u-cut', img);
      let installing = false;
      // The import copies the bundle to the data partition and verifies it before rauc installs.
      for (const end = Date.now() + 900_000; Date.now() < end && !installing; ) {
        const op = await vm.shell('busctl get-property de.pengutronix.rauc / de.pengutronix.rauc.Installer Operation 2>&1', 10_000).catch(() => '');
        installing = /installing/.test(op);
        if (!installing) await sleep(1000);
      }
      await sleep(2000 + Math.floor(Math.random() * 5000));
      await vm.cut();
      note(`power cut (qemu SIGKILL) ${installing ? 'during' : 'NOT seen during'} the installation`);
      vm = newVm('console-update-cut.log');
      await vm.start();
      const ready = await vm.waitReady(900_000);
      const after = ready ? await waitMarkedGood(vm, 180_000) : null;
      const paid = ready ? returnCode((await vm.soap(pollXml(uid))).body) : null;
      // The installation never completed: the unit must not claim one (installed, or fell back from it).
      // The mark-good of this boot may rewrite the outcome, never change what it says.
      const lastAfter = ready ? ((await apiStatus(vm)).update?.last ?? null) : null;
      const same = (m: typeof lastAfter) => (m ? `${m.result} ${m.slot} ${m.summary}` : 'none');
      check('update: a power cut during the installation leaves the old slot booting, with its data, and claims no update',
        installing && ready && after?.booted === before?.booted && after?.slots[after.booted]?.boot_status === 'good' && paid === 0 && same(lastAfter) === same(lastBefore),
        `installing seen: ${installing}`, `before: ${JSON.stringify(before)}`, `after: ${JSON.stringify(after)}`, `PayPoll: ${paid}`,
        `last update before the cut: ${same(lastBefore)}`, `after: ${same(lastAfter)}`);
    }
    if (checks.has('hawkbit')) {
      // rauc-hawkbit-updater downloads the bundle to the data partition and asks RAUC's D-Bus service to
      // install it, with post_update_reboot = false: here a separate process does the same (`rauc install`
      // talks to the service) while a payment session is open. The bundle was put on the data disk before
      // the boot (main: debugfs), as the updater's download would have.
      const from = await raucStatus(vm);
      const home = from?.booted ?? '?';
      const other = home === 'A' ? 'B' : 'A';
      const before = await bootId(vm);
      const uidH = 'hawkbit-open';
      const payH = returnCode((await vm.soap(payXml(uidH, 1500, [{ id: '2', name: 'Ayran', count: 1, cost: 1500 }]))).body);
      const t0 = Date.now();
      await vm.shell(`systemd-run --unit=${HAWKBIT_UNIT} --remain-after-exit rauc install ${HAWKBIT_BUNDLE}`);
      let inst = '';
      for (const end = Date.now() + 900_000; Date.now() < end && !/SubState=(exited|failed)/.test(inst); ) {
        await sleep(5000);
        inst = await vm.shell(`systemctl show -p SubState -p ExecMainStatus ${HAWKBIT_UNIT}`).catch(() => '');
      }
      note(`hawkbit: rauc install (separate process, D-Bus) ended after ${((Date.now() - t0) / 1000).toFixed(0)} s: ${inst.replace(/\n/g, ' ')}`);
      // The watch noticed it and waits for the payment (its own journal line), then a while longer.
      let watchLog = '';
      for (const end = Date.now() + 180_000; Date.now() < end && !/waiting for the payment in progress to finish/.test(watchLog); ) {
        await sleep(3000);
        watchLog = await vm.shell('journalctl -b -o cat --no-pager -u paypoint-update-watch.service').catch(() => '');
      }
      await sleep(20_000);
      const sameBoot = (await bootId(vm)) === before;
      const open = await pollCode(vm, uidH);
      const words = (await apiStatus(vm).catch(() => null))?.update?.words ?? '';
      check('update: a bundle installed through RAUC by another client does not reboot the unit while a payment is open',
        payH === 0 && /SubState=exited/.test(inst) && /ExecMainStatus=0/.test(inst) && /waiting for the payment in progress to finish/.test(watchLog) &&
          sameBoot && open === 1 && words.startsWith(`installed into slot ${other}`),
        `Pay ${payH}`, `install unit: ${inst}`, `watch journal:\n${watchLog.split('\n').slice(-6).join('\n')}`, `same boot: ${sameBoot}`, `PayPoll while open: ${open}`, `/api/status update words: ${words}`);
      const card = await approveCard(vm).catch(() => ({ ok: false }));
      const paidH = await pollPaid(vm, uidH).catch(() => null);
      const id = await waitReboot(vm, before, 900_000);
      note(`hawkbit: rebooted ${id ? '' : 'NOT '}after the session was paid (${((Date.now() - t0) / 1000).toFixed(0)} s since the install started)`);
      st = id ? await waitMarkedGood(vm, 180_000) : null;
      const paidAfter = id ? await pollCode(vm, uidH) : null;
      check('update: once that payment is paid the unit reboots into the other slot by itself and marks it good',
        card.ok && paidH === 0 && id !== null && st?.booted === other && st.slots[other]?.boot_status === 'good' && paidAfter === 0,
        `card ${JSON.stringify(card)}, PayPoll ${paidH}`, `rebooted: ${id !== null}`, `rauc: ${JSON.stringify(st)}`, `PayPoll after the reboot: ${paidAfter}`);
    }
    if (checks.has('never-ready')) {
      // Relative to the slot booted now (B after good, A when run alone): the bundle goes into the other one.
      const from = await raucStatus(vm);
      const home = from?.booted ?? '?';
      const other = home === 'A' ? 'B' : 'A';
      const markerBefore = (await vm.shell('cat /etc/paypoint-update-test 2>&1')).trim();
      const before = await bootId(vm);
      const t0 = Date.now();
      const img = stick('never-ready', join(bundles, 'never-ready.raucb'));
      await plug(vm, 'u-never', img);
      // Installed into the other slot, rebooted into it (never ready), marked bad, rebooted back: wait for home again.
      let back: string | null = null;
      let seenOther = false;
      const end = Date.now() + 1_200_000;
      while (Date.now() < end && back === null) {
        const id = await bootId(vm);
        if (id !== '' && id !== before) {
          const s = await raucStatus(vm);
          if (s?.booted === other) seenOther = true;
          // The other slot kept (marked good): it will not fall back; do not wait out the limit.
          if (s?.booted === other && s.slots[other]?.boot_status === 'good') break;
          if (s?.booted === home && (await vm.waitReady(5_000))) back = id;
        }
        await sleep(5000);
      }
      note(`never-ready bundle: back on slot ${home} after ${((Date.now() - t0) / 1000).toFixed(0)} s (slot ${other} seen booted: ${seenOther})`);
      await unplug(vm, 'u-never').catch(() => false);
      st = back ? await waitMarkedGood(vm, 180_000) : null;
      let api = back ? await apiStatus(vm) : null;
      for (let i = 0; i < 20 && back && !api?.update?.words.startsWith('fell back'); i++) {
        await sleep(3000);
        api = await apiStatus(vm);
      }
      const marker = (await vm.shell('cat /etc/paypoint-update-test 2>&1')).trim();
      const log = await vm.shell('journalctl -o cat --no-pager -u paypoint-update-mark-good.service | tail -n 5');
      check('update: a bundle whose daemon never becomes ready falls back to the old slot by itself, and the unit says so',
        back !== null && seenOther && st?.booted === home && st.slots[other]?.boot_status === 'bad' && marker === markerBefore &&
          new RegExp(`^fell back to slot ${home}`).test(api?.update?.words ?? '') && (api?.attention ?? []).some((a) => a.startsWith('update: fell back')),
        `back on ${home}: ${back !== null}; ${other} seen booted: ${seenOther}`, `rauc: ${JSON.stringify(st)}`, `marker: ${markerBefore} -> ${marker}`,
        `/api/status: ${JSON.stringify(api?.update)} attention ${JSON.stringify(api?.attention)}`, `mark-good log:\n${log}`);
    }
  } finally {
    await vm.stop();
  }
}

main()
  .catch((e: Error) => notOk('update test ran to the end', e.stack ?? String(e)))
  .finally(() => {
    console.log(`1..${counts.n}`);
    note(`update test checks took ${((Date.now() - started) / 1000).toFixed(0)} s`);
    console.log(`update test: ${counts.pass} passed, ${counts.fail} failed`);
    process.exit(counts.fail > 0 || counts.n === 0 ? 1 : 0);
  });
void expect;
