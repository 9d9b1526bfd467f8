// The layer lint (test/yocto/layer-lint.ts) on the real yocto-layer/, and on temporary copies with one
// rule broken each: every rule must catch its own breakage, so a clean run of the real layer means
// something. The copies get a project tree of their own (systemd/, board/, package.json, the lock file,
// node_modules linked) so the checks against the project tree run too.
import t, { type Test } from 'tap';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lintLayer, oldOverride, parseTimespan, type Finding } from './layer-lint.js';
import { generate, staleFiles } from '../../tools/yocto/npm-recipe-data.js';

const project = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const layer = join(project, 'yocto-layer');
const RECIPE = 'recipes-paypoint/paypoint/paypoint_git.bb';

/** A temporary project with a copy of the layer, its own systemd/ and board/, and the real node_modules. */
function copyProject(t: Test): { proj: string; layer: string; edit: (path: string, f: (s: string) => string | null) => void } {
  const proj = mkdtempSync(join(tmpdir(), 'paypoint-layer-'));
  t.teardown(() => rmSync(proj, { recursive: true, force: true }));
  cpSync(layer, join(proj, 'yocto-layer'), { recursive: true });
  for (const d of ['systemd', 'board']) cpSync(join(project, d), join(proj, d), { recursive: true });
  for (const f of ['package.json', 'package-lock.json']) cpSync(join(project, f), join(proj, f));
  symlinkSync(join(project, 'node_modules'), join(proj, 'node_modules'));
  // An edit returning null deletes the file.
  const edit = (path: string, f: (s: string) => string | null) => {
    const file = join(proj, path);
    const before = existsSync(file) ? readFileSync(file, 'utf8') : '';
    const after = f(before);
    if (after === null) return rmSync(file);
    if (after === before) throw new Error(`edit of ${path} changed nothing`);
    writeFileSync(file, after);
  };
  return { proj, layer: join(proj, 'yocto-layer'), edit };
}

const rules = (fs: Finding[]) => [...new Set(fs.map((f) => f.rule))].sort();
const show = (fs: Finding[]) => fs.map((f) => `${f.file}${f.line ? `:${f.line}` : ''} [${f.rule}] ${f.message}`).join('\n');

t.test('the real layer passes the lint', async (t) => {
  const findings = lintLayer({ layerDir: layer });
  t.same(findings, [], show(findings));
});

t.test('an untouched copy of the layer passes too (the copies below differ by one breakage only)', async (t) => {
  const c = copyProject(t);
  const findings = lintLayer({ layerDir: c.layer, projectDir: c.proj });
  t.same(findings, [], show(findings));
});

// Each case: what is broken, the file edited, the edit, the rules that must fire (and only they).
const cases: { name: string; path: string; edit: (s: string) => string | null; rule: string | string[] }[] = [
  {
    name: 'old-style _append',
    path: `yocto-layer/${RECIPE}`,
    edit: (s) => s.replace('DEPENDS += "curl openssl"', 'DEPENDS_append = " curl openssl"'),
    rule: 'override-syntax',
  },
  {
    name: 'old-style do_install_append',
    path: 'yocto-layer/recipes-core/systemd/systemd-conf_%.bbappend',
    edit: (s) => s.replace('do_install:append:paypoint-os()', 'do_install_append_paypoint-os()'),
    // In a bbappend the old syntax also loses the distro override (BitBake >= 2.0 reads no _paypoint-os).
    rule: ['override-syntax', 'distro-only'],
  },
  {
    name: 'LAYERSERIES_COMPAT missing',
    path: 'yocto-layer/conf/layer.conf',
    edit: (s) => s.replace(/^LAYERSERIES_COMPAT_paypoint.*$/m, ''),
    rule: 'layerseries-compat',
  },
  {
    name: 'LAYERSERIES_COMPAT not matching the kas release',
    path: 'yocto-layer/conf/layer.conf',
    edit: (s) => s.replace('LAYERSERIES_COMPAT_paypoint = "scarthgap"', 'LAYERSERIES_COMPAT_paypoint = "kirkstone"'),
    rule: 'layerseries-compat',
  },
  {
    name: 'LAYERSERIES_COMPAT claiming a release that refuses npmsw',
    path: 'yocto-layer/conf/layer.conf',
    edit: (s) => s.replace('LAYERSERIES_COMPAT_paypoint = "scarthgap"', 'LAYERSERIES_COMPAT_paypoint = "scarthgap walnascar"'),
    rule: 'layerseries-compat',
  },
  {
    name: 'a file:// that does not exist',
    path: 'yocto-layer/recipes-kernel/linux/linux-raspberrypi_%.bbappend',
    edit: (s) => s.replace('file://paypoint.cfg', 'file://paypoint.cfg file://missing.cfg'),
    rule: 'file-uri',
  },
  {
    name: 'a file:// whose FILESEXTRAPATHS is gone (bbappend)',
    path: 'yocto-layer/recipes-core/systemd/systemd-conf_%.bbappend',
    edit: (s) => s.replace(/^FILESEXTRAPATHS.*$/m, ''),
    rule: 'file-uri',
  },
  {
    name: 'the board config.txt missing from the project tree',
    path: 'board/config.txt',
    edit: () => null,
    rule: 'file-uri',
  },
  {
    name: 'SYSTEMD_SERVICE without its unit in systemd/',
    path: `yocto-layer/${RECIPE}`,
    edit: (s) => s.replace('SYSTEMD_SERVICE:${PN} = "paypoint.service ', 'SYSTEMD_SERVICE:${PN} = "paypoint.service paypoint-backup.service '),
    rule: 'systemd-service',
  },
  {
    name: 'LICENSE missing',
    path: 'yocto-layer/recipes-core/images/paypoint-image.bb',
    edit: (s) => s.replace(/^LICENSE = .*$/m, ''),
    rule: 'license',
  },
  {
    name: 'LIC_FILES_CHKSUM missing',
    path: 'yocto-layer/recipes-bsp/paypoint-overlays/paypoint-overlays.bb',
    edit: (s) => s.replace(/^LIC_FILES_CHKSUM = .*$/m, ''),
    rule: 'license',
  },
  {
    name: 'a LIC_FILES_CHKSUM md5 that does not match the project file',
    path: 'yocto-layer/recipes-bsp/paypoint-overlays/paypoint-overlays.bb',
    edit: (s) => s.replace('beginline=5;endline=5', 'beginline=4;endline=4'),
    rule: 'license',
  },
  {
    name: 'a remote tarball without checksum',
    path: `yocto-layer/${RECIPE}`,
    edit: (s) => s.replace('SRC_URI += "npmsw://', 'SRC_URI += "https://example.org/extra-1.0.tar.gz npmsw://'),
    rule: 'remote-pinned',
  },
  {
    name: 'a remote git repository on AUTOREV',
    path: 'yocto-layer/recipes-paypoint/paypoint/paypoint-source.inc',
    edit: (s) => s.replace('git://${PAYPOINT_TREE};protocol=file;branch=${PAYPOINT_BRANCH}', 'git://git.example.org/paypoint.git;protocol=https;branch=main'),
    rule: 'remote-pinned',
  },
  {
    name: 'a git URL without branch',
    path: 'yocto-layer/recipes-paypoint/paypoint/paypoint-source.inc',
    edit: (s) => s.replace(';branch=${PAYPOINT_BRANCH}', ''),
    rule: 'remote-pinned',
  },
  {
    name: 'a shrinkwrap entry without registry URL (what npm 11 lock files look like)',
    path: 'yocto-layer/recipes-paypoint/paypoint/paypoint/npm-shrinkwrap.json',
    edit: (s) => {
      const sw = JSON.parse(s) as { packages: Record<string, { resolved?: string }> };
      delete sw.packages['node_modules/zod']!.resolved;
      return JSON.stringify(sw, null, 2) + '\n';
    },
    // The hand-edited file also no longer matches what the generator makes from the lock file.
    rule: ['generated-in-sync', 'remote-pinned'],
  },
  {
    name: 'a fetcher BitBake does not have',
    path: `yocto-layer/${RECIPE}`,
    edit: (s) => s.replace('SRC_URI += "npmsw://', 'SRC_URI += "yarn://registry.yarnpkg.com;package=x npmsw://'),
    rule: 'fetcher',
  },
  {
    name: 'git:// on GitHub without protocol=https',
    path: `yocto-layer/${RECIPE}`,
    edit: (s) => s.replace('SRC_URI += "npmsw://', 'SRC_URI += "git://github.com/example/x.git;branch=main;name=x npmsw://') + '\nSRCREV_x = "0123456789abcdef0123456789abcdef01234567"\n',
    rule: 'fetcher',
  },
  {
    name: 'a user of systemd/paypoint.sysusers.conf not built into the image',
    path: 'systemd/paypoint.sysusers.conf',
    edit: (s) => s + 'u paypoint-export - "export" /var/lib/paypoint /usr/sbin/nologin\n',
    rule: 'sysusers-useradd',
  },
  {
    name: 'a group membership of sysusers missing from USERADD_PARAM',
    path: `yocto-layer/${RECIPE}`,
    edit: (s) => s.replace('--groups gpio,i2c,dialout', '--groups gpio,i2c'),
    rule: 'sysusers-useradd',
  },
  {
    name: 'RuntimeWatchdogSec above the Pi limit',
    path: 'yocto-layer/recipes-core/systemd/systemd-conf/10-paypoint-watchdog.conf',
    edit: (s) => s.replace('RuntimeWatchdogSec=14s', 'RuntimeWatchdogSec=30s'),
    rule: 'watchdog',
  },
  {
    name: 'RuntimeWatchdogSec not set anywhere',
    path: 'yocto-layer/recipes-core/systemd/systemd-conf/10-paypoint-watchdog.conf',
    edit: (s) => s.replace(/^RuntimeWatchdogSec=.*$/m, ''),
    rule: 'watchdog',
  },
  {
    name: 'WKS_FILE that is not in wic/',
    path: 'yocto-layer/recipes-core/images/paypoint-image.bb',
    edit: (s) => s.replace('WKS_FILE = "paypoint-rpi.wks"', 'WKS_FILE = "sdimage-paypoint.wks"'),
    rule: 'wks',
  },
  {
    name: 'a kas repository not pinned by commit',
    path: 'yocto-layer/kas/paypoint-rpi4.yml',
    edit: (s) => s.replace(/^    commit: 2c646d29.*$/m, ''),
    rule: 'kas',
  },
  {
    name: 'a kas repository on another release branch',
    path: 'yocto-layer/kas/paypoint-rpi4.yml',
    edit: (s) => s.replace(/(meta-raspberrypi\.git|meta-raspberrypi)\n    branch: scarthgap/, '$1\n    branch: kirkstone'),
    rule: 'kas',
  },
  {
    name: 'a kas repository on a branch that is not poky\'s',
    path: 'yocto-layer/kas/paypoint-rpi4.yml',
    edit: (s) => s.replace(/(meta-openembedded\n    branch: )scarthgap/, '$1master'),
    rule: 'kas',
  },
  {
    name: 'a kas pin without a comment saying what it is',
    path: 'yocto-layer/kas/paypoint-rpi4.yml',
    edit: (s) => s.replace(/(  meta-raspberrypi:\n(?:    [a-z]+:.*\n)*?)(?:    #.*\n)+(    commit:)/, '$1$2'),
    rule: 'kas',
  },
  {
    name: 'poky pinned with a comment naming no release tag',
    path: 'yocto-layer/kas/paypoint-rpi4.yml',
    edit: (s) => s.replace(/# yocto-5\.0\.\d+/, '# the 5.0 release'),
    rule: 'kas',
  },
  {
    name: 'poky pinned with a comment naming another series\' release',
    path: 'yocto-layer/kas/paypoint-rpi4.yml',
    edit: (s) => s.replace(/# yocto-5\.0\.(\d+)/, '# yocto-4.0.$1'),
    rule: 'kas',
  },
  {
    name: 'the kas distro not defined by the layer',
    path: 'yocto-layer/kas/paypoint-rpi4.yml',
    edit: (s) => s.replace('distro: paypoint-os', 'distro: paypoint-kiosk'),
    rule: 'kas',
  },
  {
    name: 'a distro whose DISTRO is not its file name',
    path: 'yocto-layer/conf/distro/paypoint-os.conf',
    edit: (s) => s.replace('DISTRO = "paypoint-os"', 'DISTRO = "paypoint-kiosk"'),
    rule: 'distro',
  },
  {
    name: 'a distro named like a recipe (the pn-overrides clash)',
    path: 'yocto-layer/conf/distro/paypoint.conf',
    edit: () => 'require conf/distro/paypoint-os.conf\nDISTRO = "paypoint"\n',
    rule: 'distro',
  },
  {
    // The first yocto-check-layer run with meta-rauc failed test_signatures on exactly this line.
    name: 'an unconditional do_install[vardeps] in rauc-conf.bbappend',
    path: 'yocto-layer/recipes-core/rauc/rauc-conf.bbappend',
    edit: (s) => `${s}do_install[vardeps] += "PAYPOINT_RAUC_COMPATIBLE"\n`,
    rule: 'distro-only',
  },
  {
    name: 'a bbappend setting SRC_URI for every distribution',
    path: 'yocto-layer/recipes-kernel/linux/linux-raspberrypi_%.bbappend',
    edit: (s) => s.replace('SRC_URI:append:paypoint-os', 'SRC_URI:append'),
    rule: 'distro-only',
  },
  {
    name: 'the shrinkwrap out of date with package-lock.json',
    path: 'package-lock.json',
    edit: (s) => s.replace(/("node_modules\/zod": \{\s*"version": ")([^"]+)"/, '$1$2-changed"'),
    rule: 'generated-in-sync',
  },
];

for (const c of cases) {
  t.test(`fails on: ${c.name}`, async (t) => {
    const copy = copyProject(t);
    copy.edit(c.path, c.edit);
    const findings = lintLayer({ layerDir: copy.layer, projectDir: copy.proj });
    t.ok(findings.length > 0, 'the broken copy has findings');
    t.same(rules(findings), [c.rule].flat().sort(), show(findings));
  });
}

t.test('the generated recipe data matches the lock file now, and a changed licence file is noticed', async (t) => {
  t.same(staleFiles(project), [], 'npm-shrinkwrap.json and paypoint-licenses.inc are up to date');
  const data = generate(project);
  t.ok(data.shipped.includes('node_modules/serialport'), 'serialport is shipped');
  t.notOk(data.shipped.includes('node_modules/tap'), 'test tools are not shipped');
  const sw = JSON.parse(data.shrinkwrap) as { packages: Record<string, { dev?: boolean; resolved?: string }> };
  t.equal(sw.packages['node_modules/typescript']?.dev, true, 'the compiler is fetched as a build tool');
  t.equal(sw.packages['node_modules/tap'], undefined, 'tap is not fetched at all');
  t.match(sw.packages['node_modules/@serialport/bindings-cpp']?.resolved, /^https:\/\/registry\.npmjs\.org\/@serialport\/bindings-cpp\/-\/bindings-cpp-[\d.]+\.tgz$/);
});

t.test('helpers', async (t) => {
  t.equal(oldOverride('RDEPENDS_${PN}'), '_${PN}');
  t.equal(oldOverride('SRC_URI_append_rpi'), '_append');
  t.equal(oldOverride('do_install_prepend'), '_prepend');
  t.equal(oldOverride('EXTRA_OECONF_class-native'), '_class-native');
  t.equal(oldOverride('SRC_URI:append'), undefined);
  t.equal(oldOverride('LAYERSERIES_COMPAT_paypoint'), undefined);
  t.equal(oldOverride('PACKAGE_BEFORE_PN'), undefined);
  t.equal(parseTimespan('14s'), 14);
  t.equal(parseTimespan('14'), 14);
  t.equal(parseTimespan('1min 30s'), 90);
  t.equal(parseTimespan('500ms'), 0.5);
  t.equal(parseTimespan('soon'), undefined);
});
