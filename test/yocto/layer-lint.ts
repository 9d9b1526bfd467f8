// Static lint of yocto-layer/ (yocto-layer/README.md). BitBake cannot run here (its fetchers need the network),
// so this applies the rules a reviewer of a layer applies, on the files themselves:
//   override-syntax      new override syntax only (no _append/_prepend/_remove, _${PN}, _pn-, _class-)
//   layerseries-compat   conf/layer.conf declares LAYERSERIES_COMPAT for its collection, and it names the
//                        release the kas file builds (and no release that refuses a fetcher the layer uses)
//   file-uri             every file:// of SRC_URI exists where BitBake looks (FILESPATH, FILESEXTRAPATHS)
//   systemd-service      every SYSTEMD_SERVICE has its unit in the project's systemd/
//   license              every recipe sets LICENSE and LIC_FILES_CHKSUM, each entry with a checksum; the
//                        checksums of files from the project tree are recomputed here
//   remote-pinned        remote sources carry a checksum (SRC_URI[sha256sum]) or a fixed SRCREV; git URLs
//                        name a branch and use https for GitHub; npmsw shrinkwrap entries are fetchable
//   fetcher              only fetchers the target release has and does not refuse
//   generated-in-sync    npm-shrinkwrap.json and paypoint-licenses.inc match package-lock.json
//   sysusers-useradd     the users/groups built into the image match systemd/*.sysusers.conf
//   watchdog             systemd's RuntimeWatchdogSec is set and within the Pi's 15 s hardware limit
//   wks                  WKS_FILE exists in wic/
//   kas                  every remote layer in kas/*.yml is pinned by a full commit on poky's branch, each
//                        pin with a comment naming what it is (poky's: the yocto-X.Y.Z release tag of
//                        that branch); the kas distro is one of this layer's distributions
//   distro               each conf/distro/NAME.conf sets DISTRO = "NAME", and no distribution is named like
//                        a recipe of the layer (BitBake puts the distro in OVERRIDES, so RDEPENDS:${PN} of
//                        that recipe would become a plain RDEPENDS: the pn-overrides QA error)
//   distro-only          every statement of a bbappend is under one of the layer's distributions (its
//                        override): adding the layer to another distribution's build changes no signature
// Usage: node --import tsx test/yocto/layer-lint.ts [LAYER_DIR [PROJECT_DIR]]  (exit 1 on any finding)
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { staleFiles, SHRINKWRAP_PATH } from '../../tools/yocto/npm-recipe-data.js';

export interface Finding {
  rule: string;
  file: string;
  line?: number;
  message: string;
}

export interface LintOptions {
  layerDir: string;
  /** The project tree the layer builds from (PAYPOINT_TREE): systemd/, board/, package.json. */
  projectDir?: string;
  /** Release the layer targets when no kas file names one. */
  release?: string;
}

/** The Yocto version of each release series: poky's release tags are yocto-<version>.<point>. */
export const RELEASE_VERSION: Record<string, string> = {
  kirkstone: '4.0', langdale: '4.1', mickledore: '4.2', nanbield: '4.3', scarthgap: '5.0', styhead: '5.1', walnascar: '5.2', whinlatter: '5.3',
};
/** Yocto releases in order, and the fetchers each refuses. Newer BitBake disables npm:// and npmsw://
 * (yocto-layer/README.md), which is why this layer targets scarthgap. */
export const RELEASES = ['kirkstone', 'langdale', 'mickledore', 'nanbield', 'scarthgap', 'styhead', 'walnascar', 'whinlatter'];
const NPM_REFUSED_FROM = 'styhead';
export function refusedFetchers(release: string): string[] {
  return RELEASES.indexOf(release) >= RELEASES.indexOf(NPM_REFUSED_FROM) ? ['npm', 'npmsw'] : [];
}
/** Fetchers BitBake 2.8 (scarthgap) has. */
export const KNOWN_FETCHERS = new Set(['file', 'git', 'gitsm', 'gitannex', 'http', 'https', 'ftp', 'sftp', 'ssh', 'svn', 'hg', 'bzr', 'cvs', 'p4', 'repo', 'osc', 'npm', 'npmsw', 'crate', 's3', 'az', 'gcp', 'clearcase']);
const REMOTE_CHECKSUMMED = new Set(['http', 'https', 'ftp', 'sftp', 's3', 'az', 'gcp']);
const SCM_FETCHERS = new Set(['git', 'gitsm', 'gitannex', 'svn', 'hg', 'bzr', 'cvs', 'p4', 'repo']);
/** md5 of the generic licence texts in poky's meta/files/common-licenses. */
const COMMON_LICENSE_MD5: Record<string, string> = {
  MIT: '0835ade698e0bcf8506ecda2f7b4f302',
  'GPL-2.0-only': '801f80980d171dd6425610833a22dbe6',
  'Apache-2.0': '89aea4e17d99a7cacdbeed46a0096b10',
};
/** The Pi's BCM2835 watchdog counts at most ~15.9 s; the image asks for at most 14 s (yocto-layer/README.md; unchecked here). */
export const MAX_RUNTIME_WATCHDOG_S = 14;

interface Statement {
  file: string;
  line: number;
  kind: 'assign' | 'function' | 'directive';
  /** Variable (with overrides and flag) or function name, or the directive keyword. */
  name: string;
  op?: string;
  value: string;
}

const ASSIGN = /^(?:export\s+)?([A-Za-z0-9_${}\-.:+/~]+)(\[[^\]]*\])?\s*(\?\?=|\?=|:=|\+=|=\+|\.=|=\.|=)\s*(.*)$/s;
const FUNC = /^(?:python\s+|fakeroot\s+)*([A-Za-z0-9_${}\-.:+]+)\s*\(\s*\)\s*\{\s*$/;
const PYFUNC = /^def\s+/;
const DIRECTIVE = /^(inherit|require|include|addtask|deltask|addhandler|EXPORT_FUNCTIONS|inherit_defer)\b\s*(.*)$/;

/** Statements of a BitBake file: continuation lines joined, function bodies skipped (names kept). */
export function parseBitbake(file: string, text: string): Statement[] {
  const out: Statement[] = [];
  const lines = text.split('\n');
  let i = 0;
  while (i < lines.length) {
    const start = i;
    let line = lines[i]!;
    i++;
    if (/^\s*#/.test(line) || line.trim() === '') continue;
    const fn = FUNC.exec(line.trim());
    if (fn) {
      out.push({ file, line: start + 1, kind: 'function', name: fn[1]!, value: '' });
      // Skip to the closing brace at the start of a line.
      while (i < lines.length && !/^\}/.test(lines[i]!)) i++;
      i++;
      continue;
    }
    if (PYFUNC.test(line)) {
      while (i < lines.length && (lines[i]!.trim() === '' || /^\s/.test(lines[i]!))) i++;
      continue;
    }
    while (/\\\s*$/.test(line) && i < lines.length) {
      line = line.replace(/\\\s*$/, ' ') + lines[i]!;
      i++;
    }
    const d = DIRECTIVE.exec(line.trim());
    if (d) {
      out.push({ file, line: start + 1, kind: 'directive', name: d[1]!, value: d[2]!.trim() });
      continue;
    }
    const a = ASSIGN.exec(line.trim());
    if (a) {
      const raw = a[4]!.trim();
      const value = /^".*"$/s.test(raw) || /^'.*'$/s.test(raw) ? raw.slice(1, -1) : raw;
      out.push({ file, line: start + 1, kind: 'assign', name: a[1]! + (a[2] ?? ''), op: a[3]!, value });
    }
  }
  return out;
}

/** Old-style override use in a variable or function name (BitBake >= 2.0 refuses it). */
export function oldOverride(name: string): string | undefined {
  const m = /(?:_(append|prepend|remove)(?=$|[_:[])|_\$\{PN\}|_pn-|_class-(?:target|native|nativesdk|cross|crosssdk)\b)/.exec(name);
  return m?.[0];
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

function md5(data: Buffer | string): string {
  return createHash('md5').update(data).digest('hex');
}

interface Uri {
  scheme: string;
  path: string;
  params: Record<string, string>;
  raw: string;
}
export function parseUri(raw: string): Uri | undefined {
  const m = /^([a-z0-9]+):\/\/([^;]*)(.*)$/.exec(raw);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  for (const p of m[3]!.split(';').filter(Boolean)) {
    const eq = p.indexOf('=');
    if (eq > 0) params[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return { scheme: m[1]!, path: m[2]!, params, raw };
}

/** A recipe or bbappend with its statements (required .inc files included). */
interface Unit {
  file: string;
  statements: Statement[];
  vars: Record<string, string>;
}

export function lintLayer(opts: LintOptions): Finding[] {
  const layerDir = resolve(opts.layerDir);
  const projectDir = resolve(opts.projectDir ?? join(layerDir, '..'));
  const findings: Finding[] = [];
  const rel = (f: string) => relative(projectDir, f) || f;
  const add = (rule: string, file: string, message: string, line?: number) =>
    findings.push({ rule, file: rel(file), message, ...(line !== undefined ? { line } : {}) });

  const files = walk(layerDir);
  const bbFiles = files.filter((f) => /\.(bb|bbappend|inc|bbclass|conf)$/.test(f) && !f.includes(`${join(layerDir, 'recipes-core/systemd/systemd-conf')}/`));
  const parsed = new Map<string, Statement[]>();
  for (const f of bbFiles) parsed.set(f, parseBitbake(f, readFileSync(f, 'utf8')));

  // --- override-syntax
  for (const [f, stmts] of parsed) {
    for (const s of stmts) {
      if (s.kind === 'directive') continue;
      const old = oldOverride(s.name);
      if (old) add('override-syntax', f, `${s.name}: old override syntax "${old}" (use ":" as in ${s.name.replace(/_(?=append|prepend|remove|\$\{PN\}|pn-|class-)/, ':')})`, s.line);
    }
  }

  // --- target release: the kas file's poky branch, else the option, else scarthgap.
  const kasFiles = existsSync(join(layerDir, 'kas')) ? readdirSync(join(layerDir, 'kas')).filter((f) => /\.ya?ml$/.test(f)).map((f) => join(layerDir, 'kas', f)) : [];
  let release = opts.release ?? 'scarthgap';
  const kasDocs: { file: string; doc: Record<string, unknown> }[] = [];
  for (const f of kasFiles) {
    try {
      const doc = parseYaml(readFileSync(f, 'utf8')) as Record<string, unknown>;
      kasDocs.push({ file: f, doc });
      const poky = (doc.repos as Record<string, Record<string, unknown> | null> | undefined)?.poky;
      if (poky && typeof poky.branch === 'string') release = poky.branch;
    } catch (e) {
      add('kas', f, `not valid YAML: ${(e as Error).message}`);
    }
  }

  // --- units: recipes with their .inc files, and bbappends
  const layerConf = join(layerDir, 'conf/layer.conf');
  const confVars: Record<string, string> = { LAYERDIR: layerDir, PAYPOINT_TREE: projectDir, COMMON_LICENSE_DIR: '${COMMON_LICENSE_DIR}' };
  const resolveInc = (from: string, name: string) => [join(dirname(from), name), join(layerDir, name)].find((p) => existsSync(p));
  const units: Unit[] = [];
  for (const f of files.filter((x) => /\.(bb|bbappend)$/.test(x))) {
    const statements: Statement[] = [];
    const seen = new Set<string>();
    const load = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const s of parsed.get(file) ?? parseBitbake(file, readFileSync(file, 'utf8'))) {
        if (s.kind === 'directive' && (s.name === 'require' || s.name === 'include')) {
          const target = resolveInc(file, s.value.replace(/\$\{BPN\}/g, bpnOf(f)));
          if (target) load(target);
          else if (s.name === 'require' && !s.value.includes('$')) add('file-uri', file, `require ${s.value}: file not found in the layer`, s.line);
          continue;
        }
        statements.push(s);
      }
    };
    load(f);
    const bpn = bpnOf(f);
    const pvFile = basename(f).replace(/\.(bb|bbappend)$/, '').split('_')[1] ?? '1.0';
    const vars: Record<string, string> = { ...confVars, THISDIR: dirname(f), PN: bpn, BPN: bpn, PV: pvFile };
    const pv = statements.find((s) => s.kind === 'assign' && s.name === 'PV' && s.op === '=');
    if (pv) vars.PV = pv.value;
    vars.BP = `${bpn}-${vars.PV}`;
    units.push({ file: f, statements, vars });
  }
  const expand = (v: string, vars: Record<string, string>) => v.replace(/\$\{([A-Za-z0-9_]+)\}/g, (m, k: string) => vars[k] ?? m);

  // --- layerseries-compat
  let usesNpm = false;
  for (const u of units) for (const s of u.statements) if (s.kind === 'assign' && /^SRC_URI(?::|$)/.test(s.name) && /\bnpm(sw)?:\/\//.test(s.value)) usesNpm = true;
  if (!existsSync(layerConf)) add('layerseries-compat', layerConf, 'conf/layer.conf is missing');
  else {
    const stmts = parsed.get(layerConf)!;
    const collections = stmts.filter((s) => s.kind === 'assign' && s.name === 'BBFILE_COLLECTIONS').flatMap((s) => s.value.split(/\s+/).filter(Boolean));
    if (collections.length === 0) add('layerseries-compat', layerConf, 'BBFILE_COLLECTIONS names no collection');
    for (const c of collections) {
      const compat = stmts.find((s) => s.kind === 'assign' && s.name === `LAYERSERIES_COMPAT_${c}`);
      if (!compat) {
        add('layerseries-compat', layerConf, `LAYERSERIES_COMPAT_${c} is not set`);
        continue;
      }
      const series = compat.value.split(/\s+/).filter(Boolean);
      if (!series.includes(release)) add('layerseries-compat', layerConf, `LAYERSERIES_COMPAT_${c} = "${compat.value}" does not name ${release}, the release the kas file builds`, compat.line);
      for (const r of series) {
        if (!RELEASES.includes(r)) add('layerseries-compat', layerConf, `LAYERSERIES_COMPAT_${c}: unknown release ${r}`, compat.line);
        else if (usesNpm && refusedFetchers(r).length > 0) add('layerseries-compat', layerConf, `LAYERSERIES_COMPAT_${c} claims ${r}, whose BitBake refuses the npm/npmsw fetchers this layer uses`, compat.line);
      }
    }
  }

  // --- per recipe: SRC_URI, licence, systemd, useradd
  for (const u of units) {
    const isAppend = u.file.endsWith('.bbappend');
    const assigns = u.statements.filter((s) => s.kind === 'assign');
    const srcStmts = assigns.filter((s) => /^SRC_URI(?::(?:append|prepend)(?::[\w-]+)?)?$/.test(s.name));
    const extraPaths = assigns
      .filter((s) => /^FILESEXTRAPATHS(?::|$)/.test(s.name))
      .flatMap((s) => expand(s.value, u.vars).split(':').filter((p) => p.trim() !== ''));
    const filesPath = [...extraPaths, ...(isAppend ? [] : [join(u.vars.THISDIR!, u.vars.BP!), join(u.vars.THISDIR!, u.vars.BPN!), join(u.vars.THISDIR!, 'files')])];
    const srcrevs = new Map<string, string>();
    for (const s of assigns) {
      const m = /^SRCREV(?:_([\w-]+))?(?::pn-[\w-]+)?$/.exec(s.name);
      if (m) srcrevs.set(m[1] ?? 'default', expand(s.value, u.vars));
    }
    const checksums = new Set(assigns.filter((s) => /^SRC_URI\[/.test(s.name)).map((s) => s.name));
    let fromProjectTree = false;
    for (const s of srcStmts) {
      for (const tok of expand(s.value, u.vars).split(/\s+/).filter(Boolean)) {
        const uri = parseUri(tok);
        if (!uri) {
          if (!tok.includes('${')) add('fetcher', u.file, `SRC_URI entry "${tok}" is not a URL`, s.line);
          continue;
        }
        if (!KNOWN_FETCHERS.has(uri.scheme)) add('fetcher', u.file, `${uri.scheme}:// is not a BitBake fetcher`, s.line);
        else if (refusedFetchers(release).includes(uri.scheme)) add('fetcher', u.file, `${uri.scheme}:// is refused by the BitBake of ${release}`, s.line);
        if (uri.scheme === 'file') {
          if (uri.path.includes('${')) continue;
          const found = uri.path.startsWith('/')
            ? existsSync(uri.path)
            : filesPath.some((dir) => existsSync(join(dir, uri.path)) || (existsSync(dir) && statSync(dir).isDirectory() && readdirSync(dir).some((sub) => existsSync(join(dir, sub, uri.path)))));
          if (!found) add('file-uri', u.file, `file://${uri.path} is in none of ${filesPath.map(rel).join(', ') || '(no FILESPATH)'}`, s.line);
        } else if (REMOTE_CHECKSUMMED.has(uri.scheme)) {
          const name = uri.params.name;
          const has = ['sha256sum', 'sha512sum', 'sha1sum', 'md5sum'].some((k) => checksums.has(`SRC_URI[${k}]`) || (name !== undefined && checksums.has(`SRC_URI[${name}.${k}]`)));
          if (!has && !uri.params.sha256sum) add('remote-pinned', u.file, `${uri.scheme}://${uri.path} has no SRC_URI[sha256sum]`, s.line);
        } else if (SCM_FETCHERS.has(uri.scheme)) {
          const name = uri.params.name ?? 'default';
          const rev = uri.params.rev ?? srcrevs.get(name) ?? srcrevs.get('default');
          const local = uri.params.protocol === 'file';
          if (local && uri.path.startsWith(projectDir)) fromProjectTree = true;
          if (!rev) add('remote-pinned', u.file, `${uri.scheme}://${uri.path} has no SRCREV`, s.line);
          else if (rev.includes('AUTOREV')) {
            if (!local) add('remote-pinned', u.file, `${uri.scheme}://${uri.path}: AUTOREV on a remote repository is not reproducible; pin a commit`, s.line);
          } else if (!/^[0-9a-f]{40}$/.test(rev)) add('remote-pinned', u.file, `${uri.scheme}://${uri.path}: SRCREV "${rev}" is not a full commit hash`, s.line);
          if (uri.scheme === 'git' || uri.scheme === 'gitsm') {
            if (!uri.params.branch && uri.params.nobranch !== '1') add('remote-pinned', u.file, `${uri.scheme}://${uri.path}: no branch= (BitBake requires it, or nobranch=1)`, s.line);
            if (/(^|\.)github\.com\//.test(uri.path) && uri.params.protocol !== 'https') add('fetcher', u.file, `${uri.scheme}://${uri.path}: GitHub refuses the git protocol; add protocol=https`, s.line);
          }
        } else if (uri.scheme === 'npmsw') {
          checkShrinkwrap(uri, u, add);
        }
      }
    }

    if (!isAppend) {
      const lic = assigns.find((s) => s.name === 'LICENSE');
      const chk = assigns.find((s) => s.name === 'LIC_FILES_CHKSUM');
      if (!lic || lic.value.trim() === '') add('license', u.file, 'LICENSE is not set');
      if (!chk || chk.value.trim() === '') add('license', u.file, 'LIC_FILES_CHKSUM is not set');
      else {
        for (const entry of expand(chk.value, u.vars).split(/\s+/).filter(Boolean)) {
          const uri = parseUri(entry);
          if (!uri || uri.scheme !== 'file') {
            add('license', u.file, `LIC_FILES_CHKSUM entry "${entry}" is not a file:// URL`, chk.line);
            continue;
          }
          const sum = uri.params.md5 ?? uri.params.sha256;
          if (!sum) {
            add('license', u.file, `LIC_FILES_CHKSUM ${uri.path} has no md5=`, chk.line);
            continue;
          }
          if (uri.path.startsWith('${COMMON_LICENSE_DIR}/')) {
            const known = COMMON_LICENSE_MD5[uri.path.slice('${COMMON_LICENSE_DIR}/'.length)];
            if (known && uri.params.md5 && known !== uri.params.md5) add('license', u.file, `${uri.path}: md5 ${uri.params.md5} is not the common licence's ${known}`, chk.line);
          } else if (fromProjectTree && uri.params.md5) {
            const file = join(projectDir, uri.path);
            if (!existsSync(file)) add('license', u.file, `LIC_FILES_CHKSUM ${uri.path} does not exist in the project tree`, chk.line);
            else {
              let data: Buffer | string = readFileSync(file);
              if (uri.params.beginline || uri.params.endline) {
                const lines = data.toString('utf8').split(/(?<=\n)/);
                data = lines.slice(Math.max(0, Number(uri.params.beginline ?? 1) - 1), uri.params.endline ? Number(uri.params.endline) : undefined).join('');
              }
              if (md5(data) !== uri.params.md5) add('license', u.file, `LIC_FILES_CHKSUM ${uri.path}: md5 is ${md5(data)}, the recipe says ${uri.params.md5}`, chk.line);
            }
          }
        }
      }
    }

    for (const s of assigns.filter((x) => /^SYSTEMD_SERVICE(?::|$)/.test(x.name))) {
      for (const unit of expand(s.value, u.vars).split(/\s+/).filter(Boolean)) {
        const file = unit.replace(/@[^.]+\./, '@.');
        if (!existsSync(join(projectDir, 'systemd', file))) add('systemd-service', u.file, `SYSTEMD_SERVICE ${unit}: systemd/${file} does not exist in the project tree`, s.line);
      }
    }

    checkUseradd(u, projectDir, add);

    for (const s of assigns.filter((x) => x.name === 'WKS_FILE')) {
      for (const w of s.value.split(/\s+/).filter(Boolean)) {
        if (!existsSync(join(layerDir, 'wic', w))) add('wks', u.file, `WKS_FILE ${w} is not in wic/`, s.line);
      }
    }
  }

  // --- generated-in-sync (only for the project's own layer, which has the generated files)
  if (existsSync(join(projectDir, SHRINKWRAP_PATH)) && resolve(projectDir, 'yocto-layer') === layerDir) {
    try {
      for (const f of staleFiles(projectDir)) add('generated-in-sync', join(projectDir, f), 'out of date with package-lock.json: run node --import tsx tools/yocto/npm-recipe-data.ts --write');
    } catch (e) {
      add('generated-in-sync', join(projectDir, 'package-lock.json'), (e as Error).message);
    }
  }

  // --- watchdog: a systemd.conf drop-in in the layer with RuntimeWatchdogSec <= 14 s
  const watchdogSettings = files
    .filter((f) => f.endsWith('.conf') && !f.includes(`${join(layerDir, 'conf')}/`))
    .flatMap((f) => readFileSync(f, 'utf8').split('\n').map((l, i) => ({ f, i, m: /^\s*RuntimeWatchdogSec\s*=\s*(\S+)/.exec(l) })))
    .filter((x) => x.m);
  if (watchdogSettings.length === 0) add('watchdog', layerDir, 'no systemd configuration in the layer sets RuntimeWatchdogSec (the hardware watchdog stays off)');
  for (const w of watchdogSettings) {
    const secs = parseTimespan(w.m![1]!);
    if (secs === undefined) add('watchdog', w.f, `RuntimeWatchdogSec=${w.m![1]} is not a time span`, w.i + 1);
    else if (secs === 0 || secs > MAX_RUNTIME_WATCHDOG_S) add('watchdog', w.f, `RuntimeWatchdogSec=${w.m![1]}: must be 1..${MAX_RUNTIME_WATCHDOG_S} s (the BCM2835 watchdog cannot count longer)`, w.i + 1);
  }

  // --- kas
  const distros = files.filter((f) => dirname(f) === join(layerDir, 'conf/distro') && f.endsWith('.conf')).map((f) => basename(f, '.conf'));
  for (const { file, doc } of kasDocs) {
    const repos = (doc.repos ?? {}) as Record<string, Record<string, unknown> | null>;
    for (const [name, repo] of Object.entries(repos)) {
      if (!repo || repo.url === undefined) continue; // the repository holding the kas file
      if (typeof repo.branch !== 'string') add('kas', file, `repo ${name}: no branch`);
      else if (repo.branch !== release) add('kas', file, `repo ${name}: branch ${repo.branch}, but poky is on ${release}`);
      if (typeof repo.commit !== 'string' || !/^[0-9a-f]{40}$/.test(repo.commit)) add('kas', file, `repo ${name}: not pinned by a full commit hash`);
    }
    if (!repos.poky) add('kas', file, 'no poky repository');
    // The comment right above each pinned commit says what the commit is.
    const lines = readFileSync(file, 'utf8').split('\n');
    let repoName = '';
    lines.forEach((l, i) => {
      const r = /^  ([A-Za-z0-9_.-]+):\s*$/.exec(l);
      if (r) repoName = r[1]!;
      if (!/^\s+commit:/.test(l)) return;
      const comment = /^\s*#\s*(.*)$/.exec(lines[i - 1] ?? '')?.[1];
      if (!comment) add('kas', file, `repo ${repoName}: no comment above the pinned commit saying which release it is`, i + 1);
      else if (repoName === 'poky') {
        const version = RELEASE_VERSION[release];
        const tag = /\byocto-(\d+\.\d+)(?:\.\d+)?\b/.exec(comment);
        if (!tag) add('kas', file, 'repo poky: the comment above the commit names no yocto-X.Y.Z release tag', i + 1);
        else if (version && tag[1] !== version) add('kas', file, `repo poky: the comment names ${tag[0]}, but ${release} is Yocto ${version}`, i + 1);
      }
    });
    if (typeof doc.distro === 'string' && !distros.includes(doc.distro)) add('kas', file, `distro ${doc.distro}: no conf/distro/${doc.distro}.conf in the layer`);
  }

  // --- distro
  const recipeNames = new Set(files.filter((f) => f.endsWith('.bb')).map(bpnOf));
  for (const d of distros) {
    const f = join(layerDir, 'conf/distro', `${d}.conf`);
    const set = parsed.get(f)?.find((x) => x.kind === 'assign' && x.name === 'DISTRO' && x.op === '=');
    if (!set) add('distro', f, `DISTRO is not set (it should be "${d}")`);
    else if (set.value !== d) add('distro', f, `DISTRO = "${set.value}", but the file is ${d}.conf`, set.line);
    if (recipeNames.has(d)) add('distro', f, `distribution ${d} is named like the recipe ${d}: BitBake puts the distro in OVERRIDES, so in that recipe VAR:\${PN} is applied as a plain VAR (the pn-overrides and pkgvarcheck QA errors)`);
  }

  // --- distro-only: a bbappend changes another layer's recipe only under one of this layer's distributions,
  // so adding the layer to a build of another distribution changes no task signature (yocto-check-layer's
  // test_signatures). Every variable and function it sets carries the distro override; variable flags
  // (VAR[flag], e.g. do_install[vardeps]) and directives (inherit, addtask, ...) are refused in bbappends:
  // written there they apply to every distribution (the first yocto-check-layer run with meta-rauc failed on
  // such a vardeps line).
  for (const [f, stmts] of parsed) {
    if (!f.endsWith('.bbappend')) continue;
    for (const s of stmts) {
      if (s.kind === 'directive') {
        add('distro-only', f, `${s.name} ${s.value}: a directive in a bbappend applies to every distribution`, s.line);
      } else if (/\[.*\]$/.test(s.name)) {
        add('distro-only', f, `${s.name}: a variable flag set in a bbappend, with no distribution override, applies to every distribution`, s.line);
      } else if (!s.name.split(':').slice(1).some((o) => distros.includes(o))) {
        add('distro-only', f, `${s.name}: not under the ${distros.join('/') || '(none)'} override, so it changes every distribution's ${bpnOf(f)}`, s.line);
      }
    }
  }
  return findings;
}

function bpnOf(file: string): string {
  return basename(file).replace(/\.(bb|bbappend)$/, '').split('_')[0]!;
}

/** systemd time span to seconds ("14", "14s", "1min", "500ms"); undefined if not one. */
export function parseTimespan(v: string): number | undefined {
  if (v === 'infinity') return Infinity;
  if (v === 'off' || v === '0') return 0;
  const units: Record<string, number> = { '': 1, s: 1, sec: 1, ms: 0.001, m: 60, min: 60, h: 3600 };
  let total = 0;
  const re = /(\d+(?:\.\d+)?)\s*([a-z]*)/g;
  let m: RegExpExecArray | null;
  let consumed = '';
  while ((m = re.exec(v))) {
    const unit = units[m[2]!];
    if (unit === undefined) return undefined;
    total += Number(m[1]) * unit;
    consumed += m[0];
  }
  return consumed.replace(/\s/g, '') === v.replace(/\s/g, '') && consumed !== '' ? total : undefined;
}

type Add = (rule: string, file: string, message: string, line?: number) => void;

function checkShrinkwrap(uri: Uri, u: Unit, add: Add): void {
  const path = uri.path;
  if (!existsSync(path)) {
    add('file-uri', u.file, `npmsw://${path}: shrinkwrap file not found`);
    return;
  }
  let sw: { lockfileVersion?: number; packages?: Record<string, { resolved?: string; integrity?: string; dev?: boolean; inBundle?: boolean; link?: boolean; version?: string }> };
  try {
    sw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    add('remote-pinned', path, `not JSON: ${(e as Error).message}`);
    return;
  }
  if ((sw.lockfileVersion ?? 0) < 2) add('remote-pinned', path, 'lockfileVersion must be 2 or later for npm.bbclass');
  const dev = uri.params.dev === '1' || uri.params.dev === 'true';
  for (const [key, e] of Object.entries(sw.packages ?? {})) {
    if (key === '' || e.inBundle || (e.dev && !dev)) continue;
    if (e.link) add('remote-pinned', path, `${key}: a linked package cannot be fetched`);
    else if (!e.resolved || !/^https?:\/\//.test(e.resolved)) add('remote-pinned', path, `${key}: no registry URL ("resolved"): npmsw would skip it and the offline npm install fails`);
    else if (!e.integrity || !/^sha(256|384|512)-/.test(e.integrity)) add('remote-pinned', path, `${key}: no integrity checksum`);
  }
}

/** systemd/*.sysusers.conf against the recipe's useradd parameters (users exist at build time). */
function checkUseradd(u: Unit, projectDir: string, add: Add): void {
  const assigns = u.statements.filter((s) => s.kind === 'assign');
  const userParam = assigns.filter((s) => /^USERADD_PARAM:/.test(s.name)).map((s) => s.value).join(';');
  const groupParam = assigns.filter((s) => /^GROUPADD_PARAM:/.test(s.name)).map((s) => s.value).join(';');
  const installsSysusers = u.statements.some((s) => s.kind === 'function' && /do_install/.test(s.name)) && readFileSync(u.file, 'utf8').includes('sysusers.conf');
  if (!installsSysusers) return;
  const sysDir = join(projectDir, 'systemd');
  const confs = existsSync(sysDir) ? readdirSync(sysDir).filter((f) => f.endsWith('.sysusers.conf')) : [];
  const users = new Map<string, { groups: string[]; userGroup: boolean }>();
  for (const spec of userParam.split(';').map((x) => x.trim()).filter(Boolean)) {
    const tokens: string[] = spec.match(/'[^']*'|"[^"]*"|\S+/g) ?? [];
    const name = tokens[tokens.length - 1]!;
    const gi = tokens.findIndex((t) => t === '--groups' || t === '-G');
    users.set(name, { groups: gi >= 0 ? tokens[gi + 1]!.split(',') : [], userGroup: tokens.includes('--user-group') || tokens.includes('-U') });
  }
  const groups = new Set(groupParam.split(';').map((x) => x.trim().split(/\s+/).pop()!).filter(Boolean));
  for (const [name, user] of users) if (user.userGroup) groups.add(name);
  for (const conf of confs) {
    const lines = readFileSync(join(sysDir, conf), 'utf8').split('\n');
    lines.forEach((line, i) => {
      const t = line.trim();
      if (t === '' || t.startsWith('#')) return;
      const [type, name, arg] = t.match(/"[^"]*"|\S+/g) ?? [];
      const where = `systemd/${conf}:${i + 1}`;
      if (type === 'g' && name && !groups.has(name)) add('sysusers-useradd', u.file, `group ${name} (${where}) is not created by GROUPADD_PARAM/USERADD_PARAM`);
      if (type === 'u' && name && !users.has(name)) add('sysusers-useradd', u.file, `user ${name} (${where}) is not created by USERADD_PARAM`);
      if (type === 'm' && name && arg && !(users.get(name)?.groups.includes(arg) || (arg === name && users.get(name)?.userGroup))) add('sysusers-useradd', u.file, `user ${name} is not put in group ${arg} (${where}) by USERADD_PARAM --groups`);
    });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const here = dirname(fileURLToPath(import.meta.url));
  const layerDir = resolve(process.argv[2] ?? join(here, '../../yocto-layer'));
  const findings = lintLayer({ layerDir, ...(process.argv[3] ? { projectDir: process.argv[3] } : {}) });
  for (const f of findings) console.log(`${f.file}${f.line ? `:${f.line}` : ''}: [${f.rule}] ${f.message}`);
  console.log(findings.length === 0 ? `${relative(process.cwd(), layerDir) || '.'}: layer lint clean` : `${findings.length} finding(s)`);
  process.exit(findings.length === 0 ? 0 : 1);
}
