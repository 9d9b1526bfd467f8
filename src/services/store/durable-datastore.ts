/**
 * nedb-promises made durable (facts.md, "nedb-promises"): nedb appends with no fsync, so every append is
 * followed by an fdatasync of the datafile *inside nedb's executor*, before the write's promise resolves;
 * a torn tail is repaired before loading; a failed append (disk full) reloads memory from disk so that
 * memory and disk never disagree.
 */
import Datastore from 'nedb-promises';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ErrorCode, PayPointError } from '../../errors.js';
import { fsyncDir, fsyncFile } from './fsync.js';
import { repairTornTail, type TailRepair } from './torn-tail.js';

// The parts of @seald-io/nedb's internals that are patched; typed here, checked at open().
interface NedbPersistence {
  persistNewStateAsync(docs: unknown[]): Promise<void>;
}
interface NedbOriginal {
  persistence: NedbPersistence;
  loadDatabaseAsync(): Promise<void>;
  compactDatafileAsync(): Promise<void>;
}

export interface DurableDatastoreOptions {
  filename: string;
  /** Called after each durable write (tests count fsyncs; the status page shows store health). */
  onWrite?: (ok: boolean) => void;
}

export class DurableDatastore<T extends { _id: string }> {
  readonly filename: string;
  readonly db: Datastore<T>;
  private readonly original: NedbOriginal;
  private failed: PayPointError | null = null;
  writes = 0;
  lastRepair: TailRepair = { removedBytes: 0, keptAt: null };

  private constructor(opts: DurableDatastoreOptions) {
    this.filename = opts.filename;
    // corruptAlertThreshold 0: a corrupt line in the middle of the file stops the load instead of
    // silently dropping an acknowledged document.
    this.db = Datastore.create({ filename: opts.filename, autoload: false, corruptAlertThreshold: 0 }) as unknown as Datastore<T>;
    this.original = (this.db as unknown as { __original: NedbOriginal }).__original;
    const persistence = this.original.persistence;
    if (typeof persistence?.persistNewStateAsync !== 'function') {
      throw new PayPointError(ErrorCode.Internal, 'nedb persistence layer not as expected: refusing to run without fsync');
    }
    const append = persistence.persistNewStateAsync.bind(persistence);
    persistence.persistNewStateAsync = async (docs: unknown[]) => {
      try {
        await append(docs);
        await fsyncFile(this.filename);
        this.writes++;
        opts.onWrite?.(true);
      } catch (e) {
        opts.onWrite?.(false);
        const err = new PayPointError(ErrorCode.StoreWriteFailed, `store write failed: ${(e as Error).message}`, { file: this.filename }, { cause: e });
        // nedb changed memory before the append: bring memory back to what the disk holds.
        try {
          await this.original.loadDatabaseAsync();
        } catch {
          this.failed = err;
        }
        throw err;
      }
    };
  }

  static async open<T extends { _id: string }>(opts: DurableDatastoreOptions): Promise<DurableDatastore<T>> {
    mkdirSync(dirname(opts.filename), { recursive: true, mode: 0o700 });
    const store = new DurableDatastore<T>(opts);
    store.lastRepair = await repairTornTail(opts.filename);
    try {
      await store.db.load();
    } catch (e) {
      throw new PayPointError(ErrorCode.StoreCorrupt, `cannot load ${opts.filename}: ${(e as Error).message}`, { file: opts.filename }, { cause: e });
    }
    // The load rewrote the file (nedb compacts on load); make its directory entry durable too.
    await fsyncDir(dirname(opts.filename));
    return store;
  }

  /** Null while writes work; the error that made the store unusable otherwise. */
  get failure(): PayPointError | null {
    return this.failed;
  }

  async compact(): Promise<void> {
    await this.original.compactDatafileAsync();
  }
}
