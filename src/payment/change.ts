/**
 * Change-making (issue 4, item 5; contract 2.6): which coins pay `amount` from the hoppers' fill levels.
 * Never pays more than due; what cannot be paid is the rest amount. Exact when possible (a bounded
 * search, since greedy fails for some coin systems), preferring the denominations in good supply.
 */
export interface ChangePlan {
  /** value -> count, largest value first. */
  coins: Array<[number, number]>;
  paid: number;
  rest: number;
}

/** Largest payable sum <= amount, by dynamic programming over kopecks when small enough, else greedy. */
export function makeChange(amount: number, levels: Record<number, number>): ChangePlan {
  const values = Object.keys(levels)
    .map(Number)
    .filter((v) => v > 0 && (levels[v] ?? 0) > 0)
    .sort((a, b) => b - a);
  if (amount <= 0 || values.length === 0) return { coins: [], paid: 0, rest: Math.max(0, amount) };

  const g = gcd(values);
  const units = Math.floor(amount / g);
  if (units <= 200_000) {
    // best[u] = fewest coins to pay u*g exactly with bounded counts (bounded knapsack, binary split).
    const INF = Number.MAX_SAFE_INTEGER;
    const best = new Array<number>(units + 1).fill(INF);
    best[0] = 0;
    const items: Array<{ value: number; count: number }> = [];
    for (const v of values) {
      let left = Math.min(levels[v], Math.floor(amount / v));
      for (let k = 1; left > 0; k *= 2) {
        const take = Math.min(k, left);
        items.push({ value: v, count: take });
        left -= take;
      }
    }
    const choice: Int32Array[] = [];
    for (let i = 0; i < items.length; i++) {
      const w = (items[i].value * items[i].count) / g;
      const pick = new Int32Array(Math.ceil((units + 1) / 32));
      for (let u = units; u >= w; u--) {
        if (best[u - w] !== INF && best[u - w] + items[i].count < best[u]) {
          best[u] = best[u - w] + items[i].count;
          pick[u >> 5] |= 1 << (u & 31);
        }
      }
      choice.push(pick);
    }
    let u = units;
    while (u > 0 && best[u] === INF) u--;
    const counts = new Map<number, number>();
    let cur = u;
    for (let i = items.length - 1; i >= 0 && cur > 0; i--) {
      if (choice[i][cur >> 5] & (1 << (cur & 31))) {
        counts.set(items[i].value, (counts.get(items[i].value) ?? 0) + items[i].count);
        cur -= (items[i].value * items[i].count) / g;
      }
    }
    const coins = values.filter((v) => counts.has(v)).map((v) => [v, counts.get(v)!] as [number, number]);
    const paid = u * g;
    return { coins, paid, rest: amount - paid };
  }
  // Very large amounts: greedy from the largest coin.
  let left = amount;
  const coins: Array<[number, number]> = [];
  for (const v of values) {
    const n = Math.min(levels[v], Math.floor(left / v));
    if (n > 0) {
      coins.push([v, n]);
      left -= n * v;
    }
  }
  return { coins, paid: amount - left, rest: left };
}

function gcd(values: number[]): number {
  const g2 = (a: number, b: number): number => (b === 0 ? a : g2(b, a % b));
  return values.reduce((a, b) => g2(a, b));
}
