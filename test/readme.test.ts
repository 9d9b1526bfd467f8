/**
 * The README's configuration reference is the schema's own description (one source): regression test
 * for a field added to src/config/schema.ts without the README being regenerated
 * (`paypoint config doc`, pasted between the config-reference markers).
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configReference } from '../src/cli/config-doc.js';
import { REPO } from './helpers/daemon.js';

t.test('README configuration reference matches the schema', async (t) => {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const m = /<!-- config-reference:start -->\n([\s\S]*?)<!-- config-reference:end -->/.exec(readme);
  t.ok(m, 'markers present');
  t.equal(m![1], configReference(), 'regenerate with: ./bin/paypoint config doc');
});
