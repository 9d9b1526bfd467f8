/**
 * nedb-promises made durable (docs/design.md, "nedb-promises"): nedb appends with no fsync, so every append is
 * made durable (a write on an O_DSYNC descriptor: data and size on the device when it returns, as after an
 * fdatasync) *inside nedb's executor*, before the write's promise resolves;
 * a torn tail is repaired before loading; a failed append (disk full) cuts the partial line it may have
 * left and reloads memory from disk, so that memory and disk never disagree.
 */
import Datastore from 'nedb-promises';
import { mkdirSync, promises as fsp } from 'node:fs';
import { dirname } from 'node:path';
import { ErrorCode, PayPointError } from '../../errors.js';
import { createRequire } from 'node:module';
import { DurableAppender, fsyncDir, fsyncFile } from '../../base/fsync.js';
import { repairTornTail, type TailRepair } from './torn-tail.js';

// The parts of @seald-io/nedb's internals that are patched; typed here, checked at open().
interface NedbPersistence {
  persistNewStateAsync(docs: unknown[]): Promise<void>;
  persistCachedDatabaseAsync(): Promise<void>;
  afterSerialization(s: string): string | Promise<string>;
  treatRawData(raw: string): Promise<{ data: unknown[]; indexes: Record<string, unknown> }>;
}
interface NedbOriginal {
  persistence: NedbPersistence;
  _resetIndexes(data?: unknown[]): void;
  compactDatafileAsync(): Promise<void>;
}

export interface DurableDatastoreOptions {
  filename: string;
  /** Called after each durable write (tests count fsyncs; the status page shows store health). */
  onWrite?: (ok: boolean) => void;
}

// nedb's own line format (the same serialize its persistNewStateAsync uses), so the file stays nedb's.
const nedbModel = createRequire(import.meta.url)('@seald-io/nedb/lib/model.js') as { serialize(doc: unknown): string };

export class DurableDatastore<T extends { _id: string }> {
  readonly filename: string;
  readonly db: Datastore<T>;
  private readonly original: NedbOriginal;
  private failed: PayPointError | null = null;
  private readonly appender: DurableAppender;
  writes = 0;
  lastRepair: TailRepair = { removedBytes: 0, keptAt: null };

  private constructor(opts: DurableDatastoreOptions) {
    this.filename = opts.filename;
    // corruptAlertThreshold 0: a corrupt line in the middle of the file stops the load instead of
    // silently dropping an acknowledged document.
    this.db = Datastore.create({ filename: opts.filename, autoload: false, corruptAlertThreshold: 0 }) as unknown as Datastore<T>;
    this.original = (this.db as unknown as { __original: NedbOriginal }).__original;
    const persistence = this.original.persistence;
    if (
      typeof persistence?.persistNewStateAsync !== 'function' ||
      typeof persistence.treatRawData !== 'function' ||
      typeof persistence.persistCachedDatabaseAsync !== 'function' ||
      typeof persistence.afterSerialization !== 'function' ||
      typeof nedbModel.serialize !== 'function' ||
      typeof this.original._resetIndexes !== 'function'
    ) {
      throw new PayPointError(ErrorCode.Internal, 'nedb persistence layer not as expected: refusing to run without fsync');
    }
    // Appends go through one descriptor kept open (base/fsync.ts DurableAppender): one O_DSYNC write.
    // Whatever replaces the file (nedb's compaction and load: temp file, rename) first drops it.
    const appender = (this.appender = new DurableAppender(opts.filename));
    const rewrite = persistence.persistCachedDatabaseAsync.bind(persistence);
    persistence.persistCachedDatabaseAsync = async () => {
      await appender.close();
      await rewrite();
    };
    const append = async (docs: unknown[]): Promise<void> => {
      let text = '';
      for (const d of docs) text += (await persistence.afterSerialization(nedbModel.serialize(d))) + '\n';
      await appender.append(text);
    };
    persistence.persistNewStateAsync = async (docs: unknown[]) => {
      if (docs.length === 0) return;
      // The size before the append: a failed append may have written part of its lines (ENOSPC after a
      // short write), which would be a torn line *before* the next good one, i.e. a store that no longer
      // loads. It is cut back to this size.
      const before = await appender.size();
      try {
        await append(docs);
        this.writes++;
        opts.onWrite?.(true);
      } catch (e) {
        opts.onWrite?.(false);
        const err = new PayPointError(ErrorCode.StoreWriteFailed, `store write failed: ${(e as Error).message}`, { file: this.filename }, { cause: e });
        // nedb changed memory before the append: bring memory back to what the disk holds. This runs
        // inside nedb's executor, so it must not go through the executor (Datastore.loadDatabaseAsync
        // queues behind the running task: a deadlock that hung every later write).
        try {
          await this.restoreFromDisk(before);
          this.failed = null;
        } catch (e2) {
          this.failed = new PayPointError(ErrorCode.StoreWriteFailed, `store write failed and memory could not be restored: ${(e2 as Error).message}`, { file: this.filename }, { cause: e2 });
        }
        throw err;
      }
    };
  }

  /** Cuts the datafile back to `size` bytes (what it held before a failed append), then reloads memory from it. */
  private async restoreFromDisk(size: number): Promise<void> {
    await this.appender.close();
    if ((await fileSize(this.filename)) > size) {
      await fsp.truncate(this.filename, size);
      await fsyncFile(this.filename);
    }
    // Memory only: no rewrite of the file (the disk may still be full).
    const { data } = await this.original.persistence.treatRawData(await fsp.readFile(this.filename, 'utf8'));
    try {
      this.original._resetIndexes(data);
    } catch (e) {
      this.original._resetIndexes();
      throw e;
    }
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
    // nedb's compaction writes a temp file, fsyncs it, renames it and fsyncs the directory.
    await this.original.compactDatafileAsync();
  }
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await fsp.stat(path)).size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw e;
  }
}
