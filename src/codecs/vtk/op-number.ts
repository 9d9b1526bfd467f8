/**
 * VTK operation numbers (VTK 1.12 section 3.3; tag 0x03 in section 3.1: decimal ASCII, at most 8
 * digits). The VMC increments the number before each VRP; 8 digits end at 99 999 999, so the next
 * number after that is 1 (0 is the terminal's "nothing received yet" default, 3.3). The protocol says
 * nothing about what a terminal does at the wrap: that it treats 1 after 99 999 999 as a new operation
 * is unchecked against a real terminal (our simulator does).
 *
 * Order after a wrap is read like serial-number arithmetic: of two numbers, the one less than half the
 * range ahead of the other is the newer. A kiosk is never half the range (fifty million operations)
 * behind its terminal. Pure: no I/O.
 */
export const MAX_OP_NUMBER = 99_999_999;
const HALF = Math.floor(MAX_OP_NUMBER / 2);

/** The number the VMC sends after `n` (3.3: incremented before each VRP; 1 after 99 999 999). */
export function nextOpNumber(n: number): number {
  return n >= MAX_OP_NUMBER || n < 0 ? 1 : n + 1;
}

/**
 * Negative when `a` is older than `b`, 0 when equal, positive when newer; 0 (the terminal's default,
 * nothing received) is older than every real number.
 */
export function compareOpNumbers(a: number, b: number): number {
  if (a === b) return 0;
  if (a === 0) return -1;
  if (b === 0) return 1;
  const ahead = (((a - b) % MAX_OP_NUMBER) + MAX_OP_NUMBER) % MAX_OP_NUMBER;
  return ahead > 0 && ahead <= HALF ? 1 : -1;
}

/** The newest of some operation numbers (0 when none). */
export function newestOpNumber(nums: readonly number[]): number {
  let best = 0;
  for (const n of nums) if (compareOpNumbers(n, best) > 0) best = n;
  return best;
}
