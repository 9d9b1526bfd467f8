/**
 * VM check "usb": a USB stick (a FAT image made on the host) hot-plugged into the running machine
 * through QMP (blockdev-add + device_add usb-storage on the qemu-xhci controller). Real udev sees the
 * vfat filesystem on the USB bus and starts paypoint-usb-import@<kernel name>.service
 * (systemd/99-paypoint-usb.rules). A good configuration is applied (the daemon restarted on it) and
 * paypoint-result.txt is written back to the stick, read on the host with mtools after device_del; a bad
 * one is refused with its line and the previous file kept; a stick pulled while the import reads it
 * breaks nothing: the daemon runs and keeps its data.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pollXml, returnCode } from '../helpers/daemon.js';
import { sha256Hex } from '../../src/services/usb-import/admin-secret.js';
import { check, note } from './tap.js';
import { sleep, type Vm } from './vm.js';

/** The xHCI controller the sticks are plugged into (on the command line from the start, as on a board). */
export const USB_QEMU_ARGS = ['-device', 'qemu-xhci,id=xhci'];

const CONFIG = '/etc/paypoint/paypoint.toml';
const SECRET = 'vm-usb-secret';
const UNIT_GLOB = 'paypoint-usb-import@*';
const ENDED = /Deactivated successfully|Failed with result/;

export function stickImage(work: string, name: string, files: Record<string, string>): string {
  const img = join(work, `${name}.img`);
  execFileSync('mkfs.vfat', ['-C', img, '8192'], { stdio: 'ignore' });
  for (const [file, text] of Object.entries(files)) {
    const src = join(work, `${name}-${file}`);
    writeFileSync(src, text);
    execFileSync('mcopy', ['-i', img, src, `::${file}`]);
  }
  return img;
}

export async function plug(vm: Vm, id: string, img: string): Promise<void> {
  await vm.qmp('blockdev-add', { driver: 'raw', 'node-name': id, file: { driver: 'file', filename: img } });
  await vm.qmp('device_add', { driver: 'usb-storage', id, drive: id, bus: 'xhci.0', removable: true });
}

/** device_del, then waits until the guest released it (the device is gone from QOM) before the node goes. */
export async function unplug(vm: Vm, id: string): Promise<boolean> {
  await vm.qmp('device_del', { id });
  let gone = false;
  for (let i = 0; i < 120 && !gone; i++) {
    const list = (await vm.qmp('qom-list', { path: '/machine/peripheral' })) as Array<{ name: string }>;
    gone = !list.some((p) => p.name === id);
    if (!gone) await sleep(500);
  }
  await vm.qmp('blockdev-del', { 'node-name': id }).catch(() => undefined);
  return gone;
}

const importJournal = (vm: Vm) => vm.shell(`journalctl -b -o cat --no-pager -u '${UNIT_GLOB}'`);
const endedCount = (j: string) => j.split('\n').filter((l) => ENDED.test(l)).length;

async function waitImportEnded(vm: Vm, before: number, timeoutMs: number): Promise<string | null> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const j = await importJournal(vm);
    if (endedCount(j) > before) return j;
    await sleep(2000);
  }
  return null;
}

const mainPid = async (vm: Vm) => (await vm.shell('systemctl show -p MainPID --value paypoint.service')).trim();
const readStick = (img: string, file: string) => {
  try {
    return execFileSync('mtype', ['-i', img, `::${file}`], { encoding: 'utf8' });
  } catch (e) {
    return `(mtype failed: ${(e as Error).message.split('\n')[0]})`;
  }
};

export async function checkUsb(vm: Vm, work: string, knownPaidUid: string | null): Promise<void> {
  const original = await vm.shell(`cat ${CONFIG}`);
  // The good file: the running configuration with the admin secret (a stick's file must set it) and a
  // new unit name, so that what is in force afterwards is visibly the stick's.
  const good = original.replace(/^\[unit\]\n(name = .*\n)?/m, `[unit]\nname = "vm usb import"\nadmin_secret_sha256 = "${sha256Hex(SECRET)}"\n`);
  if (!check('usb: the running configuration has a [unit] table to extend', good !== original && good.includes('vm usb import'), original)) return;

  // 1. A good configuration.
  let t0 = Date.now();
  let ended = endedCount(await importJournal(vm));
  const pidBefore = await mainPid(vm);
  const img1 = stickImage(work, 'stick-good', { 'paypoint.toml': good });
  await plug(vm, 'stick1', img1);
  let journal = await waitImportEnded(vm, ended, 240_000);
  const installed = await vm.shell(`cat ${CONFIG}`);
  const ready = await vm.waitReady(300_000);
  const pidAfter = await mainPid(vm);
  const unplugged1 = await unplug(vm, 'stick1');
  const result1 = readStick(img1, 'paypoint-result.txt');
  note(`usb: good stick imported in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  const imported = check(
    'usb: hot-plugged stick (QMP device_add usb-storage on xHCI): udev starts the import unit, the good file is installed and the daemon restarted on it',
    journal !== null && installed.trim() === good.trim() && ready && pidAfter !== pidBefore && pidAfter !== '0',
    `import unit journal: ${journal ?? '(the import unit did not end in 240 s)'}`,
    `installed ${CONFIG}:\n${installed}`,
    `daemon ready ${ready}, MainPID ${pidBefore} -> ${pidAfter}`,
  );
  check('usb: paypoint-result.txt written back to the stick says APPLIED (read on the host with mtools after device_del)', unplugged1 && /result: APPLIED/.test(result1), `unplugged: ${unplugged1}`, result1);
  // Nothing more to learn from the other sticks when the first was not imported at all.
  if (!imported) return;

  // 2. A bad configuration: refused with its line, the previous file kept, the daemon untouched.
  const lines = good.split('\n');
  const apiLine = lines.findIndex((l) => /^port = 8080$/.test(l));
  lines[apiLine] = 'port = 99999';
  const bad = lines.join('\n');
  t0 = Date.now();
  ended = endedCount(await importJournal(vm));
  const pidBad = await mainPid(vm);
  const img2 = stickImage(work, 'stick-bad', { 'paypoint.toml': bad, 'paypoint-secret.txt': SECRET });
  await plug(vm, 'stick2', img2);
  journal = await waitImportEnded(vm, ended, 240_000);
  const kept = await vm.shell(`cat ${CONFIG}`);
  const pidBad2 = await mainPid(vm);
  const unplugged2 = await unplug(vm, 'stick2');
  const result2 = readStick(img2, 'paypoint-result.txt');
  note(`usb: bad stick handled in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  check(
    `usb: a bad file (api.port 99999 on line ${apiLine + 1}) is refused with its line on the stick`,
    journal !== null && unplugged2 && /result: REFUSED/.test(result2) && result2.includes(`paypoint.toml:${apiLine + 1}:`) && /port/.test(result2),
    `import unit journal: ${journal ?? '(the import unit did not end in 240 s)'}`,
    `paypoint-result.txt: ${result2}`,
  );
  check('usb: after the refusal the previous configuration is kept and the daemon was not restarted', kept.trim() === good.trim() && pidBad2 === pidBad, `MainPID ${pidBad} -> ${pidBad2}`, kept);

  // 3. Pulled while being read: the device goes as soon as the import unit starts.
  const pulled = good.replace('name = "vm usb import"', 'name = "vm usb pulled"');
  const starts = (j: string) => j.split('\n').filter((l) => /Starting paypoint-usb-import@/.test(l)).length;
  const startsBefore = starts(await importJournal(vm));
  ended = endedCount(await importJournal(vm));
  const img3 = stickImage(work, 'stick-pulled', { 'paypoint.toml': pulled, 'paypoint-secret.txt': SECRET });
  t0 = Date.now();
  await plug(vm, 'stick3', img3);
  let started = false;
  for (let i = 0; i < 300 && !started; i++) {
    started = starts(await importJournal(vm)) > startsBefore;
    if (!started) await sleep(200);
  }
  const unplugged3 = await unplug(vm, 'stick3');
  note(`usb: stick pulled ${((Date.now() - t0) / 1000).toFixed(1)} s after the plug (import unit started: ${started})`);
  journal = await waitImportEnded(vm, ended, 240_000);
  const readyAfterPull = await vm.waitReady(300_000);
  const cfgAfterPull = await vm.shell(`cat ${CONFIG}`);
  const whole = cfgAfterPull.trim() === good.trim() || cfgAfterPull.trim() === pulled.trim();
  const active = (await vm.shell('systemctl is-active paypoint.service')).trim();
  const kernel = (await vm.shell(`dmesg | grep -E 'BUG|Oops|Call Trace' | head -5`)).trim();
  const paid = knownPaidUid ? returnCode((await vm.soap(pollXml(knownPaidUid))).body) : 0;
  note(`usb: pulled stick: import unit log: ${(journal ?? '(did not end)').split('\n').filter((l) => l).slice(-4).join(' | ')}`);
  check(
    'usb: a stick pulled while being read breaks nothing: the import ends, the daemon runs with a whole configuration and keeps its data',
    started && unplugged3 && journal !== null && readyAfterPull && active === 'active' && whole && kernel === '' && paid === 0,
    `import started ${started}, unplugged ${unplugged3}, import ended ${journal !== null}, daemon ready ${readyAfterPull} (${active})`,
    `configuration whole (old or new): ${whole}\n${cfgAfterPull}`,
    `kernel: ${kernel || '(nothing)'}`,
    `PayPoll of the session paid at boot: ${paid}`,
  );
}
