/**
 * Change-making (README.md, "Cash hardware"; contract 2.6): which coins pay `amount` from the hoppers' fill levels.
 * Never pays more than due; what cannot be paid is the rest amount. Exact when possible (a bounded
 * search, since greedy fails for some coin systems), preferring the denominations in good supply:
 * among the plans that pay the most, the cheapest wins, where a coin costs 1 from a hopper above its
 * low-water mark and `scarceCost` from one at or below it (so a nearly empty hopper is used only when
 * the amount cannot be paid as well without it).
 */
export interface ChangePlan {
  /** value -> count, largest value first. */
  coins: Array<[number, number]>;
  paid: number;
  rest: number;
}

export interface ChangeOptions {
  /** Coins at or below this level make a hopper "scarce" (one number for all, or per value). Default 10. */
  lowWater?: number | Record<number, number>;
  /** Cost of one coin from a scarce hopper, against 1 for a coin in good supply. Default 20. */
  scarceCost?: number;
}

/** Largest payable sum <= amount, by dynamic programming over kopecks when small enough, else greedy. */
export function makeChange(amount: number, levels: Record<number, number>, options: ChangeOptions = {}): ChangePlan {
  const values = Object.keys(levels)
    .map(Number)
    .filter((v) => v > 0 && (levels[v] ?? 0) > 0)
    .sort((a, b) => b - a);
  if (amount <= 0 || values.length === 0) return { coins: [], paid: 0, rest: Math.max(0, amount) };

  const scarceCost = Math.max(1, Math.floor(options.scarceCost ?? 20));
  const lowWater = (v: number) => (typeof options.lowWater === 'object' ? (options.lowWater[v] ?? 10) : (options.lowWater ?? 10));
  const coinCost = (v: number) => (levels[v] <= lowWater(v) ? scarceCost : 1);
  const g = gcd(values);
  const units = Math.floor(amount / g);
  if (units <= 200_000) {
    // best[u] = cheapest way to pay u*g exactly with bounded counts (bounded knapsack, binary split).
    const INF = Number.MAX_SAFE_INTEGER;
    const best = new Array<number>(units + 1).fill(INF);
    best[0] = 0;
    const items: Array<{ value: number; count: number; cost: number }> = [];
    for (const v of values) {
      let left = Math.min(levels[v], Math.floor(amount / v));
      for (let k = 1; left > 0; k *= 2) {
        const take = Math.min(k, left);
        items.push({ value: v, count: take, cost: take * coinCost(v) });
        left -= take;
      }
    }
    const choice: Int32Array[] = [];
    for (let i = 0; i < items.length; i++) {
      const w = (items[i].value * items[i].count) / g;
      const pick = new Int32Array(Math.ceil((units + 1) / 32));
      for (let u = units; u >= w; u--) {
        if (best[u - w] !== INF && best[u - w] + items[i].cost < best[u]) {
          best[u] = best[u - w] + items[i].cost;
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
