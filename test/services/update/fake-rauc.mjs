#!/usr/bin/env node
// A stand-in for RAUC's command line (an external program), for tests on machines without A/B slots.
// Its state is a JSON file (FAKE_RAUC_STATE) in the shape of RAUC 1.8's own `rauc status
// --output-format=json --detailed` output, as captured from Debian's rauc 1.8 (fields compatible,
// booted, boot_primary, slots[{name: {bootname, state, boot_status, slot_status.bundle}}]). Each call
// is appended to FAKE_RAUC_STATE.log. `info` answers from FAKE_RAUC_INFO (JSON or {"error": "..."}).
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';

const statePath = process.env.FAKE_RAUC_STATE;
const args = process.argv.slice(2);
appendFileSync(`${statePath}.log`, args.join(' ') + '\n');
const state = JSON.parse(readFileSync(statePath, 'utf8'));
const slotOf = (which) => {
  for (const e of state.slots) for (const [name, s] of Object.entries(e)) {
    if (which === 'booted' ? s.state === 'booted' : which === 'other' ? s.state !== 'booted' : name === which) return s;
  }
  return null;
};
if (args[0] === 'status' && (args[1] === 'mark-good' || args[1] === 'mark-bad')) {
  const s = slotOf(args[2] ?? 'booted');
  s.boot_status = args[1] === 'mark-good' ? 'good' : 'bad';
  writeFileSync(statePath, JSON.stringify(state));
  process.stdout.write(`rauc status: marked slot as ${s.boot_status}\n`);
} else if (args[0] === 'status') {
  process.stdout.write(JSON.stringify(state) + '\n');
} else if (args[0] === 'info') {
  const info = JSON.parse(process.env.FAKE_RAUC_INFO ?? '{"error":"no info"}');
  if (info.error) {
    process.stderr.write(`rauc-Message: 01:02:03.456: Reading bundle: ${args.at(-1)}\n${info.error}\n`);
    process.exit(1);
  }
  process.stdout.write(JSON.stringify(info) + '\n');
} else if (args[0] === 'install') {
  const o = slotOf('other');
  o.boot_status = 'good';
  state.boot_primary = Object.keys(state.slots.find((e) => Object.values(e)[0] === o))[0];
  writeFileSync(statePath, JSON.stringify(state));
  process.stdout.write('installing\n');
} else {
  process.stderr.write(`fake rauc: unknown command ${args.join(' ')}\n`);
  process.exit(2);
}
