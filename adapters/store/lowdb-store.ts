import { chmod, mkdir, readdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Subscription } from 'rxjs';
import type { Bus } from '../../src/bus/bus.ts';
import { systemClock, type Clock } from '../../src/clock/clock.ts';
import { SafekeepError, systemErrorCode, toErrorShape } from '../../src/errors/safekeep-error.ts';
import { fsyncDirectory } from '../../src/fs/fsync-directory.ts';
import { makeDirectory } from '../../src/fs/make-directory.ts';
import { DURABLE_TEMP_SUFFIX } from '../../src/fs/write-file-durably.ts';
import type { IdSource } from '../../src/ids/ids.ts';
import type { HostAdapter } from '../../src/ports/host-adapter.ts';
import { DataDirNotWritableError, InvalidStoreCommandError } from '../../src/store/errors.ts';
import type { StoreCheckpointFailed, StoreCommand, StoreResult, StoreWrite } from '../../src/store/messages.ts';
import { Checkpointer, type CheckpointStep } from './checkpointer.ts';
import { acquireDataDirLock, type DataDirLock, type DataDirLockOptions } from './data-dir-lock.ts';
import { writesJson, type LogRecord } from './log-record.ts';
import { replayLog } from './log-replay.ts';
import { DEFAULT_SHARD_CACHE_BYTES, ShardCache } from './shard-cache.ts';
import { ShardedCollection } from './sharded-collection.ts';
import { isCollectionName, LOG_DIR_NAME } from './store-layout.ts';
import { WriteAheadLog } from './write-ahead-log.ts';

export interface LowdbStoreOptions {
  /** The data directory this process will own (created 0700 if missing). */
  readonly dataDir: string;
  readonly ids: IdSource;
  /** Shards of a new collection; default 256. An existing collection keeps the count it was made with. */
  readonly shardsPerCollection?: number;
  /** Log bytes after which a checkpoint folds the log into the shard files; default 16 MiB. */
  readonly checkpointLogBytes?: number;
  /** Parsed shard files kept in memory, counted by their text's size; default 32 MiB. */
  readonly shardCacheBytes?: number;
  /** Tests only: awaited between the steps of taking the data directory lock. */
  readonly lockOptions?: DataDirLockOptions;
  /** Tests only: awaited after each checkpoint step; a rejection stops that checkpoint there, as a kill would. */
  readonly afterCheckpointStep?: (step: CheckpointStep) => Promise<void>;
  /** Tests only: false leaves the log as a kill would (no checkpoint on stop). */
  readonly checkpointOnStop?: boolean;
  /** Times the retries of a failed checkpoint; default the system clock (its timers keep no process alive). */
  readonly clock?: Clock;
}

export const DEFAULT_SHARDS_PER_COLLECTION = 256;
export const DEFAULT_CHECKPOINT_LOG_BYTES = 16 * 1024 * 1024;
const MAX_KEY_LENGTH = 1024;

/**
 * The store adapter. Every acknowledged write is one record of a write-ahead
 * log (`<dataDir>/store/log/`), made durable with group commit; lowdb shard
 * files in `<dataDir>/store/<collection>/` are its checkpoints, rewritten in
 * the background; every key is held in memory. It answers `store.command`
 * events with `store.result` events and is reached in no other way. It owns
 * the data directory through a lock for as long as it runs.
 */
export class LowdbStore implements HostAdapter {
  readonly name = 'store';
  readonly #options: LowdbStoreOptions;
  readonly #storeDir: string;
  readonly #collections = new Map<string, ShardedCollection>();
  readonly #cache: ShardCache;
  /** Writes not yet durable, so a read of what they touch waits for them: by collection, and by collection + key. */
  readonly #pending = new Map<string, Promise<unknown>>();
  #log: WriteAheadLog | null = null;
  #checkpointer: Checkpointer | null = null;
  #lock: DataDirLock | null = null;
  #subscription: Subscription | null = null;
  #bus: Bus | null = null;

  constructor(options: LowdbStoreOptions) {
    this.#options = options;
    this.#storeDir = path.join(options.dataDir, 'store');
    this.#cache = new ShardCache(options.shardCacheBytes ?? DEFAULT_SHARD_CACHE_BYTES);
  }

  /** Log flushes made so far (each one `write` and one `fdatasync`), for tests and benches. */
  get logFlushes(): number {
    return this.#log?.flushes ?? 0;
  }

  /** Shard files read so far (at start, on demand, by checkpoints), for tests and benches. */
  shardReads = 0;

  /** Checkpoints finished so far, for tests and benches. */
  get checkpoints(): number {
    return this.#checkpointer?.completed ?? 0;
  }

  /**
   * Documents in a collection as the store holds them now, from memory (0
   * for one never written): for the operator's views (the status page,
   * `/metrics`), which must not send store commands over the bus, where a
   * recording would keep them and its replay would look for them again.
   */
  countNow(collection: string): number {
    return this.#collections.get(collection)?.count() ?? 0;
  }

  async start(bus: Bus): Promise<void> {
    this.#bus = bus;
    try {
      await makeDirectory(this.#options.dataDir, 0o700);
      this.#lock = await acquireDataDirLock(this.#options.dataDir, () => this.#options.ids.next('lock'), this.#options.lockOptions);
      await mkdir(this.#storeDir, { recursive: true, mode: 0o700 });
      await chmod(this.#storeDir, 0o700);
      await this.#removeLeftoverTempFiles();
      await this.#recover();
    } catch (error) {
      await this.#log?.close().catch(() => undefined);
      this.#log = null;
      await this.#lock?.release();
      this.#lock = null;
      throw startError(this.#options.dataDir, error);
    }
    this.#subscription = bus.on$('store.command').subscribe((command) => {
      void this.#answer(command).then((result) => bus.emit('store.result', result));
    });
  }

  async stop(): Promise<void> {
    this.#subscription?.unsubscribe();
    this.#subscription = null;
    if (this.#log && this.#checkpointer) {
      await this.#log.settled();
      if (this.#options.checkpointOnStop ?? true) await this.#checkpointer.checkpointNow();
      // Writes still in flight may have asked for one more; none may touch the directory once the lock is released.
      await this.#checkpointer.close();
      await this.#log.close();
    }
    this.#log = null;
    await this.#lock?.release();
    this.#lock = null;
  }

  /** Start = the collections' checkpoints and key indexes, then the log replayed over them. */
  async #recover(): Promise<void> {
    const logDir = path.join(this.#storeDir, LOG_DIR_NAME);
    await makeDirectory(logDir, 0o700);
    // log/'s own entry must survive a power cut before any record in it is acknowledged (WriteAheadLog.open fsyncs only log/).
    await fsyncDirectory(this.#storeDir);
    for (const entry of await readdir(this.#storeDir, { withFileTypes: true })) {
      if (entry.isDirectory() && isCollectionName(entry.name)) await this.#collectionNamed(entry.name).load();
    }
    const replayed = await replayLog(logDir, (record) => this.#apply(record), { repair: true });
    this.#log = await WriteAheadLog.open({ logDir, ...replayed, onDurable: (records) => this.#onDurable(records) });
    this.#checkpointer = new Checkpointer({
      log: this.#log,
      collections: () => this.#collections.values(),
      storeDir: this.#storeDir,
      afterStep: this.#options.afterCheckpointStep,
      clock: this.#options.clock ?? systemClock,
      onFailed: (error, retryInMs) => void this.#bus?.emit('store.checkpoint.failed', checkpointFailure(error, retryInMs)),
    });
    // A first start on the old layout: the key indexes it had to build are written now, so the next start reads no shard.
    for (const collection of this.#collections.values()) await collection.writeIndex();
    // Segments left by a checkpoint that was cut short, or a long log: fold them in now, in the background.
    if (replayed.segments.length > 1 || this.#log.activeBytes >= this.#checkpointLogBytes()) this.#checkpointer.request();
  }

  #apply(record: LogRecord): void {
    for (const write of record.writes) this.#collectionNamed(write.collection).apply(write, record.seq);
  }

  #onDurable(records: readonly LogRecord[]): void {
    for (const record of records) this.#apply(record);
    this.#checkpointer?.requestPast(this.#checkpointLogBytes());
  }

  #checkpointLogBytes(): number {
    return this.#options.checkpointLogBytes ?? DEFAULT_CHECKPOINT_LOG_BYTES;
  }

  async #answer(command: StoreCommand): Promise<StoreResult> {
    try {
      // Its answers are always the latest, so it hands out no `at` for a write to be conditional on.
      if ('ifUnchangedSince' in command && command.ifUnchangedSince !== undefined) throw new InvalidStoreCommandError('This store takes no conditional writes: its reads are always the latest');
      switch (command.op) {
        case 'put':
          await this.#write([{ op: 'put', collection: command.collection, key: command.key, value: command.value }]);
          return { commandId: command.commandId, ok: true };
        case 'delete':
          await this.#write([{ op: 'delete', collection: command.collection, key: command.key }]);
          return { commandId: command.commandId, ok: true };
        case 'batch':
          await this.#write(checkedWrites(command.writes));
          return { commandId: command.commandId, ok: true };
        case 'get': {
          const collection = this.#collection(command.collection);
          const key = checkedKey(command.key);
          await this.#pending.get(pendingKey(command.collection, key));
          return { commandId: command.commandId, ok: true, value: await collection.get(key) };
        }
        case 'list': {
          const collection = this.#collection(command.collection);
          await this.#pending.get(command.collection);
          return withDamaged(collection, { commandId: command.commandId, ok: true, value: await collection.list(checkedGroup(command.group)) });
        }
        case 'keys': {
          const collection = this.#collection(command.collection);
          await this.#pending.get(command.collection);
          return withDamaged(collection, { commandId: command.commandId, ok: true, value: collection.keys(checkedGroup(command.group)) });
        }
        case 'count': {
          const collection = this.#collection(command.collection);
          await this.#pending.get(command.collection);
          return withDamaged(collection, { commandId: command.commandId, ok: true, value: collection.count() });
        }
        default:
          throw new InvalidStoreCommandError(`'${String((command as { op?: unknown }).op)}' is not a store operation`);
      }
    } catch (error) {
      return { commandId: command.commandId, ok: false, error: toErrorShape(error) };
    }
  }

  /** One log record for all of `writes`: every one is checked first, so a batch is refused whole or kept whole. */
  async #write(writes: readonly StoreWrite[]): Promise<void> {
    const log = this.#log;
    if (!log) throw new InvalidStoreCommandError('The store is not running');
    const targets = writes.map((write) => {
      const collection = this.#collection(write.collection);
      collection.checkWritable(checkedKey(write.key));
      // JSON drops it: the log would hold a put with no value, a counted key with no document.
      if (write.op === 'put' && write.value === undefined) throw new InvalidStoreCommandError('A put must carry a value');
      return collection;
    });
    let json: string;
    try {
      json = writesJson(writes);
    } catch (cause) {
      throw new InvalidStoreCommandError('A stored value must be plain JSON data', { cause });
    }
    for (const collection of new Set(targets)) await collection.ensureCreated(this.#storeDir);
    const durable = log.append(json);
    const settled = durable.catch(() => undefined);
    const names = [...new Set(writes.flatMap((write) => [write.collection, pendingKey(write.collection, write.key)]))];
    for (const name of names) this.#pending.set(name, settled);
    void settled.then(() => {
      for (const name of names) if (this.#pending.get(name) === settled) this.#pending.delete(name);
    });
    await durable;
  }

  #collection(name: string): ShardedCollection {
    if (!isCollectionName(name)) {
      throw new InvalidStoreCommandError(`'${String(name)}' is not a valid collection name`);
    }
    return this.#collectionNamed(name);
  }

  #collectionNamed(name: string): ShardedCollection {
    let collection = this.#collections.get(name);
    if (!collection) {
      const bus = this.#bus;
      collection = new ShardedCollection(name, path.join(this.#storeDir, name), {
        ids: this.#options.ids,
        cache: this.#cache,
        defaultShardCount: this.#options.shardsPerCollection ?? DEFAULT_SHARDS_PER_COLLECTION,
        onDamaged: (damage) => void bus?.emit('store.damaged', damage),
        onShardRead: () => void this.shardReads++,
      });
      this.#collections.set(name, collection);
    }
    return collection;
  }

  async #removeLeftoverTempFiles(): Promise<void> {
    const entries = await readdir(this.#storeDir, { recursive: true });
    await Promise.all(entries.filter((entry) => entry.endsWith(DURABLE_TEMP_SUFFIX)).map((entry) => unlink(path.join(this.#storeDir, entry))));
  }
}

const pendingKey = (collection: string, key: string): string => `${collection}\u0000${key}`;

/** An OS error while taking the data directory becomes one coded sentence; the OS error stays as its cause. */
function startError(dataDir: string, error: unknown): unknown {
  if (error instanceof SafekeepError) return error;
  const code = systemErrorCode(error);
  if (code === undefined) return error;
  return new DataDirNotWritableError(`Cannot use ${dataDir} as the data directory (${code}): it must be a folder this user can create and write`, {
    cause: error,
  });
}

/** One sentence for the log: what failed, coded, and when it is tried again; the raw error's words go to `detail`. */
function checkpointFailure(error: unknown, retryInMs: number): StoreCheckpointFailed {
  const code = error instanceof SafekeepError ? error.code : (systemErrorCode(error) ?? 'an unexpected error');
  const words = error instanceof Error ? error.message : String(error);
  return { message: `a checkpoint failed (${code}); trying again in ${retryInMs / 1000} s`, detail: error instanceof SafekeepError && error.detail ? error.detail : words };
}

/** A whole-collection answer says which shards it had to leave out, so no one takes it for the whole collection. */
function withDamaged(collection: ShardedCollection, result: StoreResult & { ok: true }): StoreResult {
  const damaged = collection.damagedShards();
  return damaged.length > 0 ? { ...result, damagedShards: damaged } : result;
}

function checkedKey(key: unknown): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new InvalidStoreCommandError('A store key must be a string of 1 to 1024 characters');
  }
  return key;
}

function checkedGroup(group: unknown): string | undefined {
  if (group === undefined || (typeof group === 'string' && group.length > 0 && group.length <= MAX_KEY_LENGTH)) return group;
  throw new InvalidStoreCommandError('A group must be a string of 1 to 1024 characters');
}

function checkedWrites(writes: unknown): StoreWrite[] {
  if (!Array.isArray(writes)) throw new InvalidStoreCommandError('A batch must carry a list of writes');
  return writes.map((write: Partial<StoreWrite> | null) => {
    if (typeof write !== 'object' || write === null || (write.op !== 'put' && write.op !== 'delete')) {
      throw new InvalidStoreCommandError("Each write of a batch must be a 'put' or a 'delete'");
    }
    return write as StoreWrite;
  });
}
