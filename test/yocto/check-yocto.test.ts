// The parts of `make check-yocto` that run without the layers: its reading of the kas file (a small
// parser, so it runs on a bare build host) agrees with a YAML library, and without the layers it says
// exactly what it needs and fails. The BitBake part needs the pinned layers (yocto-layer/README.md,
// "Checking the layer").
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

const project = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const kasFile = join(project, 'yocto-layer/kas/paypoint-rpi4.yml');
const pyTool = join(project, 'tools/yocto/kas-pins.py');
const checkTool = join(project, 'tools/yocto/check-yocto.sh');

type Repo = { url?: string; branch?: string; commit?: string; layers?: Record<string, unknown> | null };
type Kas = { machine: string; distro: string; target: string; repos: Record<string, Repo | null>; local_conf_header: Record<string, string> };

const kasPins = (file: string, what: string) => {
  const r = spawnSync('python3', [pyTool, file, what], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`kas-pins.py ${what}: ${r.stderr}`);
  return r.stdout;
};

/** What kas-pins.py must print, computed from the YAML library's reading of the same file. */
function expected(doc: Kas) {
  const repos = Object.entries(doc.repos);
  return {
    pins: repos.filter(([, r]) => r?.url).map(([n, r]) => `${n} ${r!.url} ${r!.branch} ${r!.commit}\n`).join(''),
    layers: repos.flatMap(([n, r]) => (r?.layers ? Object.keys(r.layers) : ['.']).map((l) => `${n} ${l}\n`)).join(''),
    local_conf: Object.entries(doc.local_conf_header).map(([k, v]) => `# kas local_conf_header: ${k}\n${v.replace(/\n+$/, '')}\n`).join(''),
  };
}

function agrees(t: Test, file: string) {
  const doc = parseYaml(readFileSync(file, 'utf8')) as Kas;
  const want = expected(doc);
  t.equal(kasPins(file, 'pins'), want.pins, 'pins');
  t.equal(kasPins(file, 'layers'), want.layers, 'layers');
  t.equal(kasPins(file, 'local_conf'), want.local_conf, 'local.conf header');
  for (const k of ['machine', 'distro', 'target'] as const) t.equal(kasPins(file, k), `${doc[k]}\n`, k);
}

t.test('kas-pins.py reads the kas file as a YAML library does', async (t) => {
  agrees(t, kasFile);
  const doc = parseYaml(readFileSync(kasFile, 'utf8')) as Kas;
  t.ok(Object.keys(doc.repos).length >= 4, 'the project, poky, meta-openembedded, meta-raspberrypi');
});

t.test('and a variant with quoted values and trailing comments', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'paypoint-kas-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'variant.yml');
  writeFileSync(file, readFileSync(kasFile, 'utf8')
    .replace(/^(    commit: )([0-9a-f]{40})$/m, '$1"$2"   # quoted, with a comment')
    .replace(/^(machine: )(.*)$/m, "$1'$2'")
    .replace(/^(    branch: scarthgap)$/m, '$1  # the LTS'));
  agrees(t, file);
});

t.test('without the layers it says what it needs and fails', async (t) => {
  const doc = parseYaml(readFileSync(kasFile, 'utf8')) as Kas;
  const pinned = Object.entries(doc.repos).filter(([, r]) => r?.url);
  const empty = mkdtempSync(join(tmpdir(), 'paypoint-layers-'));
  t.teardown(() => rmSync(empty, { recursive: true, force: true }));
  for (const args of [[], [empty]]) {
    const r = spawnSync('bash', [checkTool, ...args], { encoding: 'utf8', env: { ...process.env, YOCTO_BUILD_DIR: join(empty, 'build') } });
    t.not(r.status, 0, `exit status with ${args.length ? 'an empty directory' : 'no argument'}`);
    t.equal(r.stdout.trimEnd().split('\n').at(-1), 'yocto check: 0 passed, 1 failed', 'the summary line is last');
    t.match(r.stderr, /check-yocto needs LAYERS=<dir>/);
    for (const [name, repo] of pinned) {
      t.ok(r.stderr.includes(`<dir>/${name}  ${repo!.url}  branch ${repo!.branch}  commit ${repo!.commit}`), `names ${name} at its pin`);
      if (args.length) t.ok(r.stderr.includes(`missing: ${empty}/${name}`), `says ${name} is missing`);
    }
    t.match(r.stderr, /make yocto-layers LAYERS=<dir>/, 'says how to make them');
  }
});
