/** TAP lines of the VM test: one named check each, its diagnostics indented; counts for the summary. */
export const counts = { n: 0, pass: 0, fail: 0 };

export function ok(desc: string): void {
  counts.n++;
  counts.pass++;
  console.log(`ok ${counts.n} - ${desc}`);
}

export function notOk(desc: string, ...diag: string[]): void {
  counts.n++;
  counts.fail++;
  console.log(`not ok ${counts.n} - ${desc}`);
  for (const d of diag) for (const l of d.split('\n')) console.log(`  # ${l}`);
}

export function expect(desc: string, actual: unknown, expected: unknown): boolean {
  if (actual === expected) ok(desc);
  else notOk(desc, `got:      ${String(actual)}`, `expected: ${String(expected)}`);
  return actual === expected;
}

export function check(desc: string, cond: boolean, ...diag: string[]): boolean {
  if (cond) ok(desc);
  else notOk(desc, ...diag);
  return cond;
}

export function note(s: string): void {
  for (const l of s.split('\n')) console.log(`# ${l}`);
}
