/**
 * What the shipped daemon (the bundle, dist/paypoint.js, which bin/paypoint runs) carries of node-soap
 * (bench/README.md, "Where memory goes"): its WSDL reader and client, not its server or WS-Security
 * signers, and not axios or axios-ntlm (node-soap loads them; the Register client never uses them):
 * together ~7 MiB of a field unit's memory. That Register still works through the bundle is
 * test/integration/reports-e2e.test.ts (the real daemon against a strict 1C-shaped server).
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from '../../helpers/daemon.js';

// esbuild names every bundled CommonJS module by its path ("node_modules/<package>/..."); those names stay.
const bundle = readFileSync(join(REPO, 'dist/paypoint.js'), 'utf8');
const bundled = (path: string) => bundle.includes(`"node_modules/${path}`);

t.test('the bundle carries node-soap client and WSDL reader', async (t) => {
  t.ok(bundled('soap/lib/client.js"'), 'soap/lib/client.js bundled');
  t.ok(bundled('soap/lib/wsdl/index.js"'), 'soap/lib/wsdl/index.js bundled');
});

t.test('the bundle carries none of the node-soap parts the Register client never runs', async (t) => {
  for (const path of ['axios/', 'axios-ntlm/', 'xml-crypto/', '@xmldom/xmldom/', 'xpath/', 'form-data/', 'mime-db/', 'soap/lib/soap.js', 'soap/lib/server.js', 'soap/lib/security/']) {
    t.notOk(bundled(path), `node_modules/${path} not in dist/paypoint.js`);
  }
  t.ok(bundle.includes('which the daemon does not carry'), 'axios and axios-ntlm resolve to src/services/reports/soap-axios-absent.ts');
});
