/**
 * The layering holds (README.md, "Architecture"; rules in test/architecture/layers.ts): no import
 * against the order, no cycle among the services, no I/O in the pure modules; and the checker does fail
 * on a tree that breaks each rule, so a green run means something.
 */
import t from 'tap';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { REPO } from '../helpers/daemon.js';
import { diagram, violations } from './layers.js';

t.test('src/ imports only its own layer and those below', async (t) => {
  t.same(violations(join(REPO, 'src')), []);
});

t.test('the check fails on an import against the order, a service cycle, I/O in a pure module, a file in no layer', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pp-layers-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const put = (rel: string, text: string): void => {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  };
  put('errors.ts', 'export const x = 1;\n');
  put('codecs/soap/reader.ts', "import { x } from '../../errors.js';\nimport type { Engine } from '../../services/payment/engine.js';\n");
  put('payment/session.ts', "import { readFileSync } from 'node:fs';\n");
  put('services/payment/engine.ts', "export type Engine = 1;\nimport { y } from '../status/page.js';\n");
  put('services/status/page.ts', "export const y = 2;\nimport type { Engine } from '../payment/engine.js';\n");
  put('stray/thing.ts', 'export {};\n');
  t.same(violations(dir).sort(), [
    'services/ folders import each other in a cycle: payment -> status -> payment',
    'src/codecs/soap/reader.ts:2: codecs imports ../../services/payment/engine.js from services, a layer above it',
    'src/payment/session.ts:1: a pure module imports node:fs (I/O)',
    'src/stray/thing.ts: file is in no layer (add its folder to LAYERS in test/architecture/layers.ts)',
  ]);
});

t.test("README's architecture diagram is drawn from the code", async (t) => {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const m = /<!-- layers:start -->\n```\n([\s\S]*?)```\n<!-- layers:end -->/.exec(readme);
  t.ok(m, 'markers present');
  t.equal(m?.[1], diagram(join(REPO, 'src')), 'regenerate with: node --import tsx test/architecture/layers.ts');
});
