/**
 * The cash inside the unit, per denomination (docs/design.md, "Cash inventory"). Pure: no I/O.
 *
 * Three places hold money: the bill cassette (bills stacked by the validator), the cash box (coins the
 * coin acceptor took: they fall into the box, never into the hoppers) and the change hoppers (one per
 * coin value; coins leave them as change and refunds, and enter only by a refill). A counter is a map
 * denomination (kopecks, as a decimal string key: the JSON form) -> count.
 *
 * The inventory is never kept as a separate figure that a later write updates: every document that moves
 * money (a session, an unattributed credit, a collection, a refill) carries, in the same fsync'd write,
 * the inventory *after* it and a ledger sequence number (LedgerStamp); the document with the highest
 * number holds the inventory now. What a document moved is derived from the document itself (its credits
 * and the coins its payout paid), so a power cut can cut a write only as a whole: the inventory and the
 * sessions cannot disagree.
 */

/** Denomination in kopecks (decimal string key) -> count. Zero counts are left out. */
export type Counts = Record<string, number>;

export interface CashInventory {
  /** Bills in the validator's cassette, by value. */
  cassette: Counts;
  /** Coins in the cash box, by value. */
  box: Counts;
  /** Coins in the change hoppers, by coin value (one hopper per value). May go below zero only when
   *  the hoppers paid out coins no refill or opening count ever recorded: shown as "count needed". */
  hoppers: Counts;
}

/** What one document moved in total (not a change since its previous version). */
export interface CashMoves {
  /** Bills stacked into the cassette. */
  bills: Counts;
  /** Coins taken into the cash box. */
  coins: Counts;
  /** Coins paid out of the hoppers (change and refunds). */
  dispensed: Counts;
}

/** Written into every money-moving document in the same write: the inventory after it. */
export interface LedgerStamp {
  /** Ledger sequence number: the highest in the store is the inventory now. */
  seq: number;
  inventory: CashInventory;
}

export function emptyCounts(): Counts {
  return {};
}

export function emptyInventory(): CashInventory {
  return { cassette: {}, box: {}, hoppers: {} };
}

export function emptyMoves(): CashMoves {
  return { bills: {}, coins: {}, dispensed: {} };
}

/** a + sign*b, dropping zero counts; keys sorted by value so that stored documents compare equal. */
export function addCounts(a: Counts, b: Counts, sign = 1): Counts {
  const out = new Map<number, number>();
  for (const [k, n] of Object.entries(a)) out.set(Number(k), n);
  for (const [k, n] of Object.entries(b)) out.set(Number(k), (out.get(Number(k)) ?? 0) + sign * n);
  return Object.fromEntries(
    [...out]
      .filter(([, n]) => n !== 0)
      .sort(([x], [y]) => x - y)
      .map(([k, n]) => [String(k), n]),
  );
}

/** Sum in kopecks of a counter. */
export function countsTotal(c: Counts): number {
  return Object.entries(c).reduce((s, [k, n]) => s + Number(k) * n, 0);
}

export function countOf(c: Counts, value: number): number {
  return c[String(value)] ?? 0;
}

export function addOne(c: Counts, value: number): Counts {
  return addCounts(c, { [String(value)]: 1 });
}

/** moves(a) - moves(b): what a new version of a document moved beyond its previous version. */
export function movesDelta(next: CashMoves, prev: CashMoves): CashMoves {
  return {
    bills: addCounts(next.bills, prev.bills, -1),
    coins: addCounts(next.coins, prev.coins, -1),
    dispensed: addCounts(next.dispensed, prev.dispensed, -1),
  };
}

export function movesEmpty(m: CashMoves): boolean {
  return Object.keys(m.bills).length === 0 && Object.keys(m.coins).length === 0 && Object.keys(m.dispensed).length === 0;
}

/** The inventory after `m`: bills into the cassette, coins into the box, dispensed coins out of the hoppers. */
export function applyMoves(inv: CashInventory, m: CashMoves): CashInventory {
  return {
    cassette: addCounts(inv.cassette, m.bills),
    box: addCounts(inv.box, m.coins),
    hoppers: addCounts(inv.hoppers, m.dispensed, -1),
  };
}

/** Credits of cash (not card) in a document, as moves: bills to the cassette, coins to the box. */
export function creditMoves(credits: ReadonlyArray<{ source: string; value: number }>, dispensed: Counts | undefined): CashMoves {
  const m = emptyMoves();
  for (const c of credits) {
    if (c.source === 'bill') m.bills = addOne(m.bills, c.value);
    else if (c.source === 'coin') m.coins = addOne(m.coins, c.value);
  }
  m.dispensed = addCounts({}, dispensed ?? {});
  return m;
}

/** A collection: what the unit counted per place, what the operator says they took, and the difference. */
export interface CollectionFigures {
  counted: { cassette: Counts; box: Counts };
  /** What the operator declared they took, per denomination (bills and coins together). */
  declared: Counts;
  /** declared - counted (cassette + box) per denomination: negative = less taken than counted. */
  difference: Counts;
}

export function collectionFigures(inv: CashInventory, declared: Counts): CollectionFigures {
  const counted = { cassette: { ...inv.cassette }, box: { ...inv.box } };
  const both = addCounts(counted.cassette, counted.box);
  return { counted, declared: addCounts({}, declared), difference: addCounts(declared, both, -1) };
}

/** The inventory after a collection: cassette and box emptied, hoppers untouched. */
export function afterCollection(inv: CashInventory): CashInventory {
  return { cassette: {}, box: {}, hoppers: { ...inv.hoppers } };
}

/** The inventory after coins were added to the hoppers. */
export function afterRefill(inv: CashInventory, added: Counts): CashInventory {
  return { ...inv, hoppers: addCounts(inv.hoppers, added) };
}

/** Checks a counter given by an operator: whole, non-negative counts of positive whole kopeck values. */
export function checkCounts(c: unknown, allowed?: ReadonlyArray<number>): string | null {
  if (typeof c !== 'object' || c === null || Array.isArray(c)) return 'expected VALUE=COUNT pairs';
  for (const [k, n] of Object.entries(c as Record<string, unknown>)) {
    if (!/^[1-9]\d{0,9}$/.test(k)) return `denomination ${JSON.stringify(k)} is not a whole number of kopecks`;
    if (allowed && !allowed.includes(Number(k))) return `denomination ${k} is not one this unit handles (${allowed.join(', ')})`;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0 || n > 1_000_000) return `count of ${k} must be a whole number 0..1000000`;
  }
  return null;
}

/** How full the cassette is against its capacity (bills), from the board profile. */
export type CassetteLevel = 'ok' | 'nearly-full' | 'full' | 'unknown';

export function cassetteLevel(bills: number, capacity: number | null, nearlyFullRatio = 0.9): CassetteLevel {
  if (capacity === null || capacity <= 0) return 'unknown';
  if (bills >= capacity) return 'full';
  if (bills >= Math.floor(capacity * nearlyFullRatio)) return 'nearly-full';
  return 'ok';
}

export function billCount(inv: CashInventory): number {
  return Object.values(inv.cassette).reduce((s, n) => s + n, 0);
}
