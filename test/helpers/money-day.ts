/**
 * A seeded random stream of money events written through the real store with the pure session machine,
 * step by step as the payment engine does it (every coin paid out is its own stored version): cash
 * payments with change (from hoppers that run short, leaving rest amounts), card payments, cancels with
 * and without cash (refunds), coins outside a session paid back, refills and collections. Used by the
 * totals test (a random day).
 */
import { applyEvent, newSession, type SessionEvent, type SessionSettings } from '../../src/payment/session.js';
import type { SessionStore, UnattributedCredit } from '../../src/services/store/session-store.js';

export { rng } from './rng.js';

export const COINS = [100, 200, 500, 1000];
export const BILLS = [5000, 10000];

const cashOnly: SessionSettings = { terminalId: 'T-1', timeoutMs: 120_000, reportCancelledWithCashKept: true, cardAvailable: false };
const withCard: SessionSettings = { ...cashOnly, cardAvailable: true };

/** What the day's events did, counted by the test itself (not by the code under test). */
export interface DayLog {
  paidCash: number;
  paidCard: number;
  cancelled: number;
  restOwed: number;
  unattributed: number;
  collections: number;
  refills: number;
}

export class MoneyDay {
  readonly log: DayLog = { paidCash: 0, paidCard: 0, cancelled: 0, restOwed: 0, unattributed: 0, collections: 0, refills: 0 };
  private n = 0;
  /** The coins the simulated hoppers physically hold (the dispenser's side, kept by the test). */
  readonly stock = new Map<number, number>();

  constructor(
    private readonly store: SessionStore,
    private readonly r: () => number,
    public now: number,
  ) {}

  private pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.r() * xs.length)];
  }

  private tick(): number {
    this.now += 1000 + Math.floor(this.r() * 60_000);
    return this.now;
  }

  async refill(opening = false): Promise<void> {
    const added: Record<string, number> = {};
    for (const c of COINS) {
      const k = 5 + Math.floor(this.r() * 20);
      added[String(c)] = k;
      this.stock.set(c, (this.stock.get(c) ?? 0) + k);
    }
    await this.store.recordRefill({ at: this.tick(), by: 'test', added, opening });
    this.log.refills++;
  }

  async collect(): Promise<void> {
    const inv = this.store.inventory();
    const declared: Record<string, number> = {};
    for (const [k, n] of Object.entries({ ...inv.cassette, ...inv.box })) declared[k] = Math.max(0, n - (this.r() < 0.2 ? 1 : 0));
    await this.store.recordCollection({ at: this.tick(), by: 'test', declared });
    this.log.collections++;
  }

  /** Pays `amount` out of the stock greedily, storing each coin; returns the coins paid. */
  private async payOut(amount: number, each: (v: number) => Promise<void>): Promise<number> {
    let left = amount;
    for (const c of [...COINS].sort((a, b) => b - a)) {
      while (left >= c && (this.stock.get(c) ?? 0) > 0) {
        this.stock.set(c, this.stock.get(c)! - 1);
        left -= c;
        await each(c);
      }
    }
    return amount - left;
  }

  /** One random customer. */
  async customer(): Promise<void> {
    const id = `d${++this.n}`;
    const amount = 100 * (1 + Math.floor(this.r() * 60));
    const kind = this.r();
    const settings = kind < 0.25 ? withCard : cashOnly;
    let s = newSession({ uid: id, amount, order: [] }, id, this.tick(), settings).session;
    await this.store.insert(s);
    let prev = (await this.store.get(id))!;
    const step = async (e: SessionEvent) => {
      this.tick();
      const tr = applyEvent(s, e, this.now, settings);
      if (tr.session !== s) {
        s = tr.session;
        prev = await this.store.save(s, prev.outbox, this.now);
      }
      return tr.effects;
    };
    let effects: Awaited<ReturnType<typeof step>> = [];
    if (kind < 0.2) {
      await step({ type: 'card-offered', opId: `${id}-c1` });
      effects = await step({ type: 'card-outcome', outcome: { opId: `${id}-c1`, result: 'approved', amount, ref: `rrn-${id}` } });
    } else if (kind < 0.25) {
      await step({ type: 'card-offered', opId: `${id}-c1` });
      await step({ type: 'card-outcome', outcome: { opId: `${id}-c1`, result: 'declined', reason: 'declined' } });
      effects = await step({ type: 'cancel', reason: 'timeout' });
    } else if (kind < 0.4) {
      // Some cash, then the customer cancels: refunded from the hoppers.
      const v = this.pick(COINS);
      if (v < amount) effects = await step({ type: 'cash', source: 'coin', value: v, device: 'coin', ref: `${id}-x` });
      effects = await step({ type: 'cancel', reason: 'button' });
    } else {
      while (s.state === 'paying') {
        const bill = this.r() < 0.3;
        const v = bill ? this.pick(BILLS) : this.pick(COINS);
        effects = await step({ type: 'cash', source: bill ? 'bill' : 'coin', value: v, device: bill ? 'bill' : 'coin', ref: `${id}-${s.credits.length}` });
      }
    }
    for (let guard = 0; guard < 10; guard++) {
      const p = effects.find((x) => x.type === 'payout');
      if (!p || p.type !== 'payout') break;
      const requested = p.amount;
      let paid = 0;
      await this.payOut(requested, async (c) => {
        paid += c;
        await step({ type: 'coin-out', value: c });
      });
      effects = await step({ type: 'payout-done', requested, paid });
    }
    if (s.state === 'paid') this.log[s.payType === 1 ? 'paidCard' : 'paidCash']++;
    else if (s.state === 'cancelled') this.log.cancelled++;
    else throw new Error(`session ${id} left in ${s.state}`);
    this.log.restOwed += s.payout?.rest ?? 0;
  }

  /** A coin while no session is open, paid back from the hoppers (or kept as rest when they are short). */
  async strayCoin(): Promise<void> {
    const v = this.pick(COINS);
    const u: UnattributedCredit = { _id: `u${++this.n}`, kind: 'unattributed', source: 'coin', value: v, device: 'coin', ref: 'stray', at: this.tick(), reason: 'no session in progress', refunded: 0, rest: 0, done: false };
    await this.store.addUnattributed(u);
    let refunded = 0;
    let coins: Record<string, number> = {};
    await this.payOut(v, async (c) => {
      refunded += c;
      coins = { ...coins, [String(c)]: (coins[String(c)] ?? 0) + 1 };
      await this.store.saveUnattributed({ ...u, refunded, coins });
    });
    await this.store.saveUnattributed({ ...u, refunded, rest: v - refunded, done: true, coins });
    this.log.unattributed++;
    this.log.restOwed += v - refunded;
  }

  /** A random event of a day: mostly customers. */
  async event(): Promise<void> {
    const x = this.r();
    if (x < 0.85) await this.customer();
    else if (x < 0.93) await this.strayCoin();
    else if (x < 0.97) await this.refill();
    else await this.collect();
  }
}
