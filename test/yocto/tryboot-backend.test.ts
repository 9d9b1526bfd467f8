// The RAUC custom bootloader backend of the image (yocto-layer/recipes-core/rauc/files/paypoint-rauc-tryboot)
// run on real FAT images (mkfs.vfat, read and written by the script with mtools, as on the unit), a
// device-tree directory with real 32-bit big-endian cells and a reboot-parameter file: each step of an
// update as RAUC drives it (set-state bad, then set-primary after writing; mark-good after the trial boot)
// and the Pi firmware's side played by the test (it clears the tryboot flag and boots [tryboot]).
// What the firmware itself does can only be checked on a Pi (yocto-layer/README.md, "Checked on paper").
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const project = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const script = join(project, 'yocto-layer/recipes-core/rauc/files/paypoint-rauc-tryboot');
const missing = ['mtype', 'mcopy', 'mkfs.vfat'].filter((c) => spawnSync('sh', ['-c', `command -v ${c}`]).status !== 0);
const skip = missing.length ? `needs ${missing.join(', ')} (Debian mtools, dosfstools; Makefile APT_PACKAGES)` : false;

const AUTOBOOT = '[all]\ntryboot_a_b=1\nboot_partition=2\n[tryboot]\nboot_partition=3\n';
const CMDLINE_A = 'dwc_otg.lpm_enable=0 root=/dev/mmcblk0p5 rootfstype=ext4 rootwait net.ifnames=0\n';

type Unit = ReturnType<typeof unit>;

/** A fake SD card: p1 (autoboot.txt), p2/p3 (boot A/B with cmdline.txt), the firmware's DT cells, /run. */
function unit(opts: { autoboot?: string; cmdlineB?: string } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'paypoint-tryboot-'));
  const fat = (name: string, files: Record<string, string>) => {
    const img = join(dir, name);
    const r = spawnSync('mkfs.vfat', ['-C', img, '1024'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`mkfs.vfat: ${r.stderr}`);
    for (const [f, text] of Object.entries(files)) {
      writeFileSync(join(dir, 'tmp'), text);
      const c = spawnSync('mcopy', ['-o', '-i', img, join(dir, 'tmp'), `::${f}`], { encoding: 'utf8' });
      if (c.status !== 0) throw new Error(`mcopy: ${c.stderr}`);
    }
    return img;
  };
  const autoboot = fat('p1.vfat', { 'autoboot.txt': opts.autoboot ?? AUTOBOOT });
  const bootA = fat('p2.vfat', { 'cmdline.txt': CMDLINE_A });
  const bootB = fat('p3.vfat', { 'cmdline.txt': opts.cmdlineB ?? CMDLINE_A });
  // The backend runs in this directory, which holds files named "a" and "l": a backend that split
  // autoboot.txt unquoted would read "[all]" as a glob matching them and lose the section.
  writeFileSync(join(dir, 'a'), '');
  writeFileSync(join(dir, 'l'), '');
  const dt = join(dir, 'chosen-bootloader');
  const rebootParam = join(dir, 'run/systemd/reboot-param');
  const env = {
    ...process.env,
    PAYPOINT_TRYBOOT_SLOTS: `A:2:${bootA}:/dev/mmcblk0p5 B:3:${bootB}:/dev/mmcblk0p6`,
    PAYPOINT_TRYBOOT_AUTOBOOT: autoboot,
    PAYPOINT_TRYBOOT_DT: dt,
    PAYPOINT_TRYBOOT_REBOOT_PARAM: rebootParam,
  };
  const cell = (n: number) => Buffer.from([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
  const read = (img: string, f: string) => spawnSync('mtype', ['-i', img, `::${f}`], { encoding: 'utf8' }).stdout;
  return {
    dir,
    run: (...args: string[]) => {
      const r = spawnSync(script, args, { env, cwd: dir, encoding: 'utf8' });
      return { status: r.status, out: r.stdout.trim(), err: r.stderr.trim() };
    },
    /** The firmware starts the unit from boot partition `partition`; the tryboot flag as it was. /run is new. */
    boot(partition: number, tryboot: boolean) {
      rmSync(join(dir, 'run'), { recursive: true, force: true });
      mkdirSync(dt, { recursive: true });
      writeFileSync(join(dt, 'partition'), cell(partition));
      writeFileSync(join(dt, 'tryboot'), cell(tryboot ? 1 : 0));
    },
    /** What the firmware does at a reboot (autoboot.adoc): tryboot flag from the reboot argument, the
     * [tryboot] partition when it is set, [all] otherwise. */
    reboot() {
      const param = existsSync(rebootParam) ? readFileSync(rebootParam, 'utf8') : '';
      const text = read(autoboot, 'autoboot.txt');
      const all = Number(/\[all\][^[]*boot_partition=(\d+)/.exec(text)?.[1]);
      const tryPart = Number(/\[tryboot\][^[]*boot_partition=(\d+)/.exec(text)?.[1]);
      const tryboot = /\btryboot\b/.test(param);
      this.boot(tryboot ? tryPart : all, tryboot);
    },
    /** A power cut: /run is lost, the firmware has no flag. */
    powerCut() {
      const text = read(autoboot, 'autoboot.txt');
      this.boot(Number(/\[all\][^[]*boot_partition=(\d+)/.exec(text)?.[1]), false);
    },
    autoboot: () => read(autoboot, 'autoboot.txt'),
    cmdline: (slot: 'A' | 'B') => read(slot === 'A' ? bootA : bootB, 'cmdline.txt'),
    pending: () => (existsSync(rebootParam) ? readFileSync(rebootParam, 'utf8') : ''),
  };
}

const ok = (t: Test, u: Unit, args: string[], want?: string) => {
  const r = u.run(...args);
  t.equal(r.status, 0, `${args.join(' ')} succeeds${r.err ? ` (${r.err})` : ''}`);
  if (want !== undefined) t.equal(r.out, want, `${args.join(' ')} prints ${want}`);
};
const refused = (t: Test, u: Unit, args: string[], why: RegExp) => {
  const r = u.run(...args);
  t.not(r.status, 0, `${args.join(' ')} fails`);
  t.match(r.err, why, `${args.join(' ')} says why`);
};
// RAUC's order for an installation into the other slot: mark it bad, write it, make it primary.
const install = (t: Test, u: Unit, slot: string) => {
  ok(t, u, ['set-state', slot, 'bad']);
  ok(t, u, ['set-primary', slot]);
};

t.test('a fresh unit runs A, committed; B is not bootable', { skip }, async (t) => {
  const u = unit();
  t.teardown(() => rmSync(u.dir, { recursive: true, force: true }));
  u.boot(2, false);
  ok(t, u, ['get-current'], 'A');
  ok(t, u, ['get-primary'], 'A');
  ok(t, u, ['get-state', 'A'], 'good');
  ok(t, u, ['get-state', 'B'], 'bad');
});

t.test('an update into B: tried once with tryboot, committed when marked good', { skip }, async (t) => {
  const u = unit();
  t.teardown(() => rmSync(u.dir, { recursive: true, force: true }));
  u.boot(2, false);
  install(t, u, 'B');
  t.match(u.cmdline('B'), /(^| )root=\/dev\/mmcblk0p6 /, "B's cmdline.txt names B's root");
  t.equal(u.pending(), '0 tryboot', 'the next reboot is a tryboot');
  t.equal(u.autoboot(), AUTOBOOT, 'autoboot.txt is not touched before the trial');
  ok(t, u, ['get-primary'], 'B');
  ok(t, u, ['get-state', 'B'], 'good');

  u.reboot();
  ok(t, u, ['get-current'], 'B');
  ok(t, u, ['get-primary'], 'A');
  ok(t, u, ['set-state', 'B', 'good']);
  t.equal(u.autoboot(), '[all]\ntryboot_a_b=1\nboot_partition=3\n[tryboot]\nboot_partition=2\n', 'B committed, A the fallback');
  ok(t, u, ['get-primary'], 'B');
  ok(t, u, ['get-state', 'A'], 'bad');

  u.reboot();
  ok(t, u, ['get-current'], 'B');
  ok(t, u, ['set-state', 'B', 'good']);

  // The next update goes into A, whose cmdline.txt must name A's root again.
  install(t, u, 'A');
  t.match(u.cmdline('A'), /(^| )root=\/dev\/mmcblk0p5 /, "A's cmdline.txt names A's root");
  u.reboot();
  ok(t, u, ['get-current'], 'A');
  ok(t, u, ['set-state', 'A', 'good']);
  t.equal(u.autoboot(), AUTOBOOT, 'A committed again');
});

t.test('a trial that is not marked good falls back to the committed slot', { skip }, async (t) => {
  const u = unit();
  t.teardown(() => rmSync(u.dir, { recursive: true, force: true }));
  u.boot(2, false);
  install(t, u, 'B');
  u.reboot();
  ok(t, u, ['get-current'], 'B');
  ok(t, u, ['set-state', 'B', 'bad']);
  t.equal(u.autoboot(), AUTOBOOT, 'A stays committed');
  u.reboot(); // the health check's reboot, or a watchdog reset: no flag
  ok(t, u, ['get-current'], 'A');
  ok(t, u, ['get-state', 'B'], 'bad');
});

t.test('a power cut after the installation forgets the trial', { skip }, async (t) => {
  const u = unit();
  t.teardown(() => rmSync(u.dir, { recursive: true, force: true }));
  u.boot(2, false);
  install(t, u, 'B');
  u.powerCut();
  ok(t, u, ['get-current'], 'A');
  ok(t, u, ['get-primary'], 'A');
  ok(t, u, ['get-state', 'B'], 'bad');
});

t.test('marking the target bad before writing it cancels a pending trial', { skip }, async (t) => {
  const u = unit();
  t.teardown(() => rmSync(u.dir, { recursive: true, force: true }));
  u.boot(2, false);
  install(t, u, 'B');
  ok(t, u, ['set-state', 'B', 'bad']); // a second installation starts
  t.equal(u.pending(), '', 'no tryboot pending while B is rewritten');
  ok(t, u, ['get-primary'], 'A');
  ok(t, u, ['set-primary', 'A']);
  t.equal(u.pending(), '', 'making the committed slot primary leaves nothing pending');
});

t.test('refusals leave the boot state as it was', { skip }, async (t) => {
  const u = unit();
  t.teardown(() => rmSync(u.dir, { recursive: true, force: true }));
  u.boot(2, false);
  refused(t, u, ['set-state', 'A', 'bad'], /committed slot/);
  refused(t, u, ['set-state', 'B', 'good'], /only while it runs after a tryboot/);
  refused(t, u, ['set-state', 'B', 'maybe'], /good or bad/);
  refused(t, u, ['set-primary', 'C'], /unknown bootname 'C'/);
  refused(t, u, ['get-state'], /usage/);
  refused(t, u, ['frobnicate'], /unknown operation/);
  t.equal(u.autoboot(), AUTOBOOT, 'autoboot.txt unchanged');
  t.equal(u.pending(), '', 'nothing pending');
  // From a trial boot of B, an installation would target A, the committed slot: refused at its first step.
  install(t, u, 'B');
  u.reboot();
  refused(t, u, ['set-state', 'A', 'bad'], /committed slot/);
});

t.test('a boot partition without root= on its command line is never activated', { skip }, async (t) => {
  const u = unit({ cmdlineB: 'console=tty1 rootwait\n' });
  t.teardown(() => rmSync(u.dir, { recursive: true, force: true }));
  u.boot(2, false);
  refused(t, u, ['set-primary', 'B'], /has no root=/);
  t.equal(u.pending(), '', 'no tryboot pending');
});

t.test('an autoboot.txt that is not ours is refused', { skip }, async (t) => {
  for (const [name, text, why] of [
    ['without tryboot_a_b', '[all]\nboot_partition=2\n[tryboot]\nboot_partition=3\n', /tryboot_a_b=1/],
    ['without [tryboot]', '[all]\ntryboot_a_b=1\nboot_partition=2\n', /lacks boot_partition/],
    ['one partition twice', '[all]\ntryboot_a_b=1\nboot_partition=2\n[tryboot]\nboot_partition=2\n', /both/],
    ['a partition of no slot', '[all]\ntryboot_a_b=1\nboot_partition=2\n[tryboot]\nboot_partition=4\n', /partition 4 is no slot/],
  ] as const) {
    t.comment(name);
    const u = unit({ autoboot: text });
    u.boot(2, false);
    refused(t, u, ['get-primary'], why);
    rmSync(u.dir, { recursive: true, force: true });
  }
});

t.test('autoboot.txt written on Windows (CRLF) reads the same', { skip }, async (t) => {
  const u = unit({ autoboot: AUTOBOOT.replace(/\n/g, '\r\n') });
  t.teardown(() => rmSync(u.dir, { recursive: true, force: true }));
  u.boot(2, false);
  ok(t, u, ['get-primary'], 'A');
});

t.test('get-current needs the firmware device tree', { skip }, async (t) => {
  const u = unit();
  t.teardown(() => rmSync(u.dir, { recursive: true, force: true }));
  refused(t, u, ['get-current'], /not booted by the Raspberry Pi firmware/);
});
