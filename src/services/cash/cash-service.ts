/**
 * The operator's side of the cash inventory (docs/design.md, "Cash inventory"): collections, refills and
 * the opening count, and the inventory as the status page, /api/status, /metrics and `paypoint cash`
 * show it. Every operation is one durable write of the store (store/session-store.ts: the record and
 * the inventory after it, together); the store refuses while money moves (a payment session, a refund).
 */
import { EventEmitter } from 'node:events';
import type { PaymentDevices } from '../../drivers/interfaces.js';
import { ErrorCode, PayPointError } from '../../errors.js';
import { countsTotal, type CashInventory, type Counts } from '../../payment/cash-inventory.js';
import type { CashLimits } from '../../payment/cash-limits.js';
import type { Logger } from '../log.js';
import type { PaymentEngine } from '../payment/payment-engine.js';
import type { CashRecord, SessionStore } from '../store/session-store.js';

export interface CashView {
  inventory: CashInventory;
  /** Kopecks per place. */
  totals: { cassette: number; box: number; hoppers: number };
  limits: CashLimits;
  /** The newest collections, refills and openings still in the live store, newest first. */
  records: Array<Pick<CashRecord, 'op' | 'at' | 'by' | 'note' | 'collection' | 'added'>>;
}

export interface CashServiceOptions {
  store: SessionStore;
  engine: PaymentEngine;
  devices: PaymentDevices;
  log: Logger;
  now?: () => number;
}

export class CashService extends EventEmitter<{ changed: [] }> {
  private readonly now: () => number;

  constructor(private readonly opts: CashServiceOptions) {
    super();
    this.now = opts.now ?? Date.now;
  }

  /**
   * The first start with an inventory: what the hoppers hold (their persisted levels) is recorded as
   * the opening count, so that their counts are known from the first coin paid out.
   */
  async openIfNew(): Promise<CashRecord | null> {
    const d = this.opts.devices.dispenser;
    if (this.opts.store.ledgerStamp().seq !== 0 || !d) return null;
    const levels = Object.fromEntries(Object.entries(d.levels()).filter(([, n]) => n > 0));
    if (Object.keys(levels).length === 0) return null;
    const rec = await this.opts.store.recordRefill({ at: this.now(), by: 'opening', note: 'hopper levels at the first start', added: levels, opening: true });
    this.opts.log.info({ added: levels }, 'cash inventory opened with the hoppers\' levels');
    return rec;
  }

  /** A collection: `declared` is what the operator says they took, per denomination (kopecks). */
  async collect(input: { declared: Counts; by: string; note?: string }): Promise<CashRecord> {
    this.refuseDuringPayment('collection');
    const rec = await this.opts.store.recordCollection({ at: this.now(), by: input.by, note: input.note, declared: input.declared });
    const f = rec.collection!;
    this.opts.log.info(
      { by: rec.by, counted: f.counted, declared: f.declared, difference: f.difference, differenceKopecks: countsTotal(f.difference) },
      'cash collected: cassette and cash box counters zeroed',
    );
    this.emit('changed');
    return rec;
  }

  /** Coins added to the hoppers, per coin value (kopecks). */
  async refill(input: { added: Counts; by: string; note?: string }): Promise<CashRecord> {
    this.refuseDuringPayment('refill');
    const d = this.opts.devices.dispenser;
    const allowed = d ? Object.keys(d.levels()).map(Number) : [];
    if (allowed.length === 0) throw new PayPointError(ErrorCode.CashInvalidCounts, 'refill: this unit has no change hoppers', { field: 'added' });
    const rec = await this.opts.store.recordRefill({ at: this.now(), by: input.by, note: input.note, added: input.added, allowed });
    // The driver's own counts follow (they plan the change); an empty or jammed hopper is usable again.
    for (const [v, n] of Object.entries(input.added)) if (n > 0) d!.refill?.(Number(v), n);
    this.opts.log.info({ by: rec.by, added: rec.added }, 'hoppers refilled');
    this.emit('changed');
    return rec;
  }

  private refuseDuringPayment(what: string): void {
    const s = this.opts.engine.currentSession();
    if (s) throw new PayPointError(ErrorCode.CashSessionOpen, `${what} refused: payment session ${s.uid} is open (${s.state})`, { uid: s.uid });
  }

  async view(limit = 10): Promise<CashView> {
    const inventory = this.opts.store.inventory();
    const records = (await this.opts.store.cashRecords()).slice(-limit).reverse();
    return {
      inventory,
      totals: { cassette: countsTotal(inventory.cassette), box: countsTotal(inventory.box), hoppers: countsTotal(inventory.hoppers) },
      limits: this.opts.engine.cashLimits(),
      records: records.map((r) => ({ op: r.op, at: r.at, by: r.by, note: r.note, collection: r.collection, added: r.added })),
    };
  }
}
