/** Entry point of bin/paypoint. */
import { run } from './paypoint.js';

run(process.argv.slice(2)).then((code) => {
  if (code !== 0 || process.argv[2] !== 'serve') process.exit(code);
});
