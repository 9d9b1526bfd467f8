// Device-tree overlays of board/overlays/ compiled with dtc (yocto-layer/README.md), as the image compiles them
// (devicetree.bbclass: dtc -@, overlays as .dtbo), plus the link between board/config.txt and them: every
// dtoverlay= that names one of our overlays has its source, the parameters it passes are declared in the
// overlay's __overrides__, and the image ships the .dtbo under the name the Pi firmware looks for.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const project = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const overlaysDir = join(project, 'board/overlays');
const dtc = spawnSync('dtc', ['--version'], { encoding: 'utf8' });
const noDtc = dtc.error ? 'dtc is not installed (Debian package device-tree-compiler, in the Makefile APT_PACKAGES)' : false;
const sources = existsSync(overlaysDir) ? readdirSync(overlaysDir).filter((f) => f.endsWith('.dts')) : [];

function compile(dts: string, out: string): { status: number | null; stderr: string } {
  const r = spawnSync('dtc', ['-@', '-I', 'dts', '-O', 'dtb', '-o', out, dts], { encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}
function decompile(dtbo: string): string {
  return spawnSync('dtc', ['-I', 'dtb', '-O', 'dts', dtbo], { encoding: 'utf8' }).stdout;
}

t.test('every overlay in board/overlays compiles with dtc, without warnings', { skip: noDtc || (sources.length === 0 && 'board/overlays has no .dts files') }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'paypoint-dtc-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const f of sources) {
    const out = join(dir, f.replace(/\.dts$/, '.dtbo'));
    const r = compile(join(overlaysDir, f), out);
    t.equal(r.status, 0, `${f} compiles`);
    t.equal(r.stderr.trim(), '', `${f}: no dtc warnings`);
    const text = decompile(out);
    t.match(text, /fragment@0/, `${f} is an overlay (has fragments)`);
    t.match(text, /__symbols__/, `${f} was built with symbols (-@), as the Pi firmware needs for parameters`);
  }
});

t.test('dtc refuses a broken overlay (the check above can fail)', { skip: noDtc }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'paypoint-dtc-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const bad = join(dir, 'bad-overlay.dts');
  writeFileSync(bad, '/dts-v1/;\n/plugin/;\n/ { fragment@0 { target-path = "/"; __overlay__ { leds { gpios = <&gpio 17 0> } }; }; };\n');
  t.not(compile(bad, join(dir, 'bad.dtbo')).status, 0);
});

t.test('board/config.txt: our dtoverlay= lines have sources, declared parameters, and ship in the image', { skip: noDtc }, async (t) => {
  const config = readFileSync(join(project, 'board/config.txt'), 'utf8');
  // The boot partition (one FAT image, written into bootA and bootB and carried by update bundles) is made
  // by paypoint-bootfs from IMAGE_BOOT_FILES.
  const image = readFileSync(join(project, 'yocto-layer/recipes-bsp/paypoint-bootfs/paypoint-bootfs.bb'), 'utf8');
  const ours = [...config.matchAll(/^dtoverlay=([\w-]+)(?:,(.*))?$/gm)].filter((m) => existsSync(join(overlaysDir, `${m[1]}-overlay.dts`)));
  t.ok(ours.length > 0, 'config.txt loads at least one of our overlays (the status LED)');
  const dir = mkdtempSync(join(tmpdir(), 'paypoint-dtc-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const m of ours) {
    const name = m[1]!;
    const out = join(dir, `${name}.dtbo`);
    t.equal(compile(join(overlaysDir, `${name}-overlay.dts`), out).status, 0);
    const overrides = /__overrides__ \{([^}]*)\}/.exec(decompile(out))?.[1] ?? '';
    for (const param of (m[2] ?? '').split(',').filter(Boolean)) {
      const key = param.split('=')[0]!;
      t.match(overrides, new RegExp(`\\b${key} =`), `dtoverlay=${name}: parameter ${key} is declared in __overrides__`);
    }
    t.match(image, new RegExp(`devicetree/${name}-overlay\\.dtbo;overlays/${name}\\.dtbo`), `the boot partition installs overlays/${name}.dtbo`);
  }
});
