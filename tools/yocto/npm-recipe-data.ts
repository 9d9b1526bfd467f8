// Generates the two files of the firmware recipe that come from package-lock.json
// (yocto-layer/recipes-paypoint/paypoint/):
// - paypoint/npm-shrinkwrap.json, read by BitBake's npmsw:// fetcher. npm 11 writes lock files without
//   the `resolved` URL of registry packages (omit-lockfile-registry-resolved), and npmsw silently skips a
//   package that has none ("duplicate dependencies without url"), so the offline `npm install` of
//   npm.bbclass would fail. Here every shipped package gets its registry tarball URL, with the lock file's
//   sha512 integrity as the fetch checksum. Development packages are left out except the build tools
//   the recipe's `make install` needs (TypeScript and esbuild for the build host, the type declarations).
// - paypoint-licenses.inc: LICENSE (CLOSED for the daemon, plus each shipped package's licence) and
//   LIC_FILES_CHKSUM with the md5 of each package's licence file, read from this machine's node_modules
//   (same versions as the lock file, which is checked).
// Usage: node --import tsx tools/yocto/npm-recipe-data.ts [--write]   (without --write: exit 1 if stale)
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REGISTRY = 'https://registry.npmjs.org';
/** Dev packages the recipe needs at build time, with their dependencies (closure taken from the lock). */
export const BUILD_TOOLS = ['typescript', 'esbuild', '@types/node', '@types/sax'];
/** Build hosts the TypeScript 7 compiler and esbuild (native binaries) are fetched for. */
export const BUILD_HOST_PLATFORMS = ['linux-x64', 'linux-arm64'];
/** The line of package.json that states the daemon's own licence (the CLOSED part of LICENSE). */
export const OWN_LICENSE_FILE = 'package.json';

interface LockEntry {
  name?: string;
  version?: string;
  resolved?: string;
  integrity?: string;
  dev?: boolean;
  optional?: boolean;
  link?: boolean;
  license?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  os?: string[];
  cpu?: string[];
  [key: string]: unknown;
}
interface LockFile {
  name: string;
  version: string;
  lockfileVersion: number;
  packages: Record<string, LockEntry>;
  [key: string]: unknown;
}

export class RecipeDataError extends Error {}

/** The package name of a lock key: node_modules/a/node_modules/@s/b -> @s/b (an alias keeps its real name). */
export function packageName(key: string, entry: LockEntry): string {
  return entry.name ?? key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);
}

export function registryUrl(name: string, version: string): string {
  const base = name.startsWith('@') ? name.split('/')[1] : name;
  return `${REGISTRY}/${name}/-/${base}-${version}.tgz`;
}

/** Where Node resolves `dep` from the package at `fromKey` (walking up node_modules directories). */
function resolveDep(packages: Record<string, LockEntry>, fromKey: string, dep: string): string | undefined {
  let dir = fromKey;
  for (;;) {
    const candidate = dir === '' ? `node_modules/${dep}` : `${dir}/node_modules/${dep}`;
    if (packages[candidate]) return candidate;
    if (dir === '') return undefined;
    const cut = dir.lastIndexOf('/node_modules/');
    dir = cut < 0 ? '' : dir.slice(0, cut);
  }
}

function platformAllowed(entry: LockEntry): boolean {
  if (!entry.os && !entry.cpu) return true;
  return BUILD_HOST_PLATFORMS.some((p) => {
    const [os, cpu] = p.split('-');
    return (!entry.os || entry.os.includes(os!)) && (!entry.cpu || entry.cpu.includes(cpu!));
  });
}

function buildToolClosure(lock: LockFile): Set<string> {
  const packages = lock.packages;
  const seen = new Set<string>();
  const queue: string[] = [];
  for (const tool of BUILD_TOOLS) {
    const key = resolveDep(packages, '', tool);
    if (!key) throw new RecipeDataError(`build tool ${tool} is not in package-lock.json`);
    queue.push(key);
  }
  while (queue.length > 0) {
    const key = queue.pop()!;
    if (seen.has(key)) continue;
    const entry = packages[key]!;
    if (!platformAllowed(entry)) continue;
    seen.add(key);
    const deps = { ...entry.dependencies, ...entry.optionalDependencies };
    for (const dep of Object.keys(deps)) {
      const depKey = resolveDep(packages, key, dep);
      if (depKey) queue.push(depKey);
      else if (!entry.optionalDependencies?.[dep]) throw new RecipeDataError(`${key}: dependency ${dep} is not in the lock file`);
    }
  }
  return seen;
}

export interface RecipeData {
  shrinkwrap: string;
  licensesInc: string;
  /** Lock keys of the packages installed on the target. */
  shipped: string[];
}

/** Licence file of an installed package, as devtool picks it; package.json when there is none. */
function licenseFile(pkgDir: string): string {
  const names = readdirSync(pkgDir);
  const pick = names
    .filter((n) => /^(licen[cs]e|copying)(\.(md|txt|markdown|mit|bsd))?$|^licen[cs]e-mit(\.txt)?$/i.test(n))
    .sort()[0];
  return pick ?? 'package.json';
}

/** SPDX expression (as in package.json) to BitBake's LICENSE operators. */
export function spdxToBitbake(spdx: string): string {
  return spdx.replace(/\s+OR\s+/g, ' | ').replace(/\s+AND\s+/g, ' & ').trim();
}

export function md5(data: Buffer | string): string {
  return createHash('md5').update(data).digest('hex');
}

export function generate(projectDir: string): RecipeData {
  const lock = JSON.parse(readFileSync(join(projectDir, 'package-lock.json'), 'utf8')) as LockFile;
  const pkgJson = JSON.parse(readFileSync(join(projectDir, 'package.json'), 'utf8')) as {
    name: string; version: string; license?: string; dependencies?: Record<string, string>;
  };
  if (lock.lockfileVersion < 2) throw new RecipeDataError('npm.bbclass needs lockfileVersion 2 or later');
  const root = lock.packages[''];
  if (!root) throw new RecipeDataError('package-lock.json has no root package entry');
  const tools = buildToolClosure(lock);

  const out: Record<string, LockEntry> = {};
  const rootOut: LockEntry = { ...root };
  delete rootOut.devDependencies;
  const toolDeps: Record<string, string> = {};
  for (const tool of BUILD_TOOLS) toolDeps[tool] = (root.devDependencies as Record<string, string>)[tool] ?? '*';
  rootOut.devDependencies = toolDeps;
  out[''] = rootOut;

  const shipped: string[] = [];
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (key === '') continue;
    const isTool = tools.has(key);
    if (entry.dev && !isTool) continue;
    if (entry.link) throw new RecipeDataError(`${key}: linked packages cannot be fetched by npmsw`);
    if (!entry.version || !entry.integrity) throw new RecipeDataError(`${key}: no version or integrity in the lock file`);
    const name = packageName(key, entry);
    const copy: LockEntry = { ...entry, resolved: entry.resolved ?? registryUrl(name, entry.version) };
    // A package that is both a build tool's dependency and shipped stays a production package.
    if (isTool) copy.dev = true;
    out[key] = copy;
    if (!entry.dev) shipped.push(key);
  }
  const shrinkwrap = JSON.stringify({ name: lock.name, version: lock.version, lockfileVersion: lock.lockfileVersion, requires: true, packages: out }, null, 2) + '\n';

  // Licences of what the image ships: the daemon itself and every production package.
  const ownLines = readFileSync(join(projectDir, OWN_LICENSE_FILE), 'utf8').split('\n');
  const ownLine = ownLines.findIndex((l) => /^\s*"license"\s*:/.test(l));
  if (ownLine < 0) throw new RecipeDataError('package.json states no licence');
  if (pkgJson.license !== 'UNLICENSED') throw new RecipeDataError(`package.json licence ${pkgJson.license} is not UNLICENSED: map it to LICENSE by hand`);
  const licenses = new Set<string>();
  const chksums: string[] = [
    `file://${OWN_LICENSE_FILE};beginline=${ownLine + 1};endline=${ownLine + 1};md5=${md5(ownLines[ownLine]! + '\n')}`,
  ];
  for (const key of shipped.sort()) {
    const entry = lock.packages[key]!;
    const dir = join(projectDir, key);
    const installed = join(dir, 'package.json');
    if (!existsSync(installed)) throw new RecipeDataError(`${key} is not installed here (run make deps): its licence file cannot be read`);
    const manifest = JSON.parse(readFileSync(installed, 'utf8')) as { version: string; license?: unknown; licence?: unknown };
    if (manifest.version !== entry.version) throw new RecipeDataError(`${key}: installed ${manifest.version}, locked ${entry.version}`);
    // npm reads only `license`; a few packages spell it `licence` (@seald-io/binary-search-tree).
    const declared = entry.license ?? manifest.license ?? manifest.licence;
    if (typeof declared !== 'string') throw new RecipeDataError(`${key}: no licence declared: decide it by hand from its files`);
    const license = declared;
    licenses.add(spdxToBitbake(license));
    const file = licenseFile(dir);
    chksums.push(`file://${key}/${file};md5=${md5(readFileSync(join(dir, file)))}`);
  }
  const licenseExpr = ['CLOSED', ...[...licenses].sort()].map((l) => (/[|&]/.test(l) && !/^\(.*\)$/.test(l) ? `(${l})` : l)).join(' & ');
  const licensesInc =
    '# Generated by tools/yocto/npm-recipe-data.ts from package-lock.json and node_modules: do not edit.\n' +
    '# Regenerate: node --import tsx tools/yocto/npm-recipe-data.ts --write\n' +
    `LICENSE = "${licenseExpr}"\n` +
    'LIC_FILES_CHKSUM = " \\\n' + chksums.map((c) => `    ${c} \\\n`).join('') + '"\n';
  return { shrinkwrap, licensesInc, shipped };
}

export const RECIPE_DIR = 'yocto-layer/recipes-paypoint/paypoint';
export const SHRINKWRAP_PATH = `${RECIPE_DIR}/paypoint/npm-shrinkwrap.json`;
export const LICENSES_INC_PATH = `${RECIPE_DIR}/paypoint-licenses.inc`;

/** Files under projectDir that differ from what generate() makes now (relative paths). */
export function staleFiles(projectDir: string, data: RecipeData = generate(projectDir)): string[] {
  const stale: string[] = [];
  for (const [path, text] of [[SHRINKWRAP_PATH, data.shrinkwrap], [LICENSES_INC_PATH, data.licensesInc]] as const) {
    const file = join(projectDir, path);
    if (!existsSync(file) || readFileSync(file, 'utf8') !== text) stale.push(path);
  }
  return stale;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const projectDir = resolve(fileURLToPath(new URL('../..', import.meta.url)));
  const data = generate(projectDir);
  if (process.argv.includes('--write')) {
    writeFileSync(join(projectDir, SHRINKWRAP_PATH), data.shrinkwrap);
    writeFileSync(join(projectDir, LICENSES_INC_PATH), data.licensesInc);
    console.log(`wrote ${SHRINKWRAP_PATH} and ${LICENSES_INC_PATH} (${data.shipped.length} shipped packages)`);
  } else {
    const stale = staleFiles(projectDir, data);
    for (const s of stale) console.error(`stale: ${s} (regenerate with --write)`);
    process.exit(stale.length === 0 ? 0 : 1);
  }
}
