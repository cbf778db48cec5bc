import { chmod, mkdir, readdir, unlink } from 'node:fs/promises';
import { makeDirectory } from '../../src/fs/make-directory.ts';
import path from 'node:path';
import type { Subscription } from 'rxjs';
import type { Bus } from '../../src/bus/bus.ts';
import { SafekeepError, systemErrorCode, toErrorShape } from '../../src/errors/safekeep-error.ts';
import type { HostAdapter } from '../../src/ports/host-adapter.ts';
import type { IdSource } from '../../src/ids/ids.ts';
import { DataDirNotWritableError, InvalidStoreCommandError } from '../../src/store/errors.ts';
import type { StoreCommand, StoreResult } from '../../src/store/messages.ts';
import { groupKey } from '../../src/store/group-key.ts';
import { ShardedCollection } from './sharded-collection.ts';
import { acquireDataDirLock, type DataDirLock, type DataDirLockOptions } from './data-dir-lock.ts';
import { DURABLE_TEMP_SUFFIX } from '../../src/fs/write-file-durably.ts';

export interface LowdbStoreOptions {
  /** The data directory this process will own (created 0700 if missing). */
  readonly dataDir: string;
  readonly ids: IdSource;
  /** Shards of a new collection; default 256. An existing collection keeps the count it was made with. */
  readonly shardsPerCollection?: number;
  /** Tests only: awaited between the steps of taking the data directory lock. */
  readonly lockOptions?: DataDirLockOptions;
}

export const DEFAULT_SHARDS_PER_COLLECTION = 256;

const COLLECTION_NAME = /^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)*$/;
const MAX_KEY_LENGTH = 1024;

/**
 * The store adapter: lowdb files in `<dataDir>/store/<collection>/`, each
 * collection sharded by key (see ShardedCollection), written durably. It answers `store.command` events with `store.result`
 * events and is reached in no other way. It owns the data directory through a
 * lock file for as long as it runs.
 */
export class LowdbStore implements HostAdapter {
  readonly name = 'store';
  readonly #options: LowdbStoreOptions;
  readonly #storeDir: string;
  readonly #collections = new Map<string, ShardedCollection>();
  #lock: DataDirLock | null = null;
  #subscription: Subscription | null = null;
  #bus: Bus | null = null;

  constructor(options: LowdbStoreOptions) {
    this.#options = options;
    this.#storeDir = path.join(options.dataDir, 'store');
  }

  async start(bus: Bus): Promise<void> {
    try {
      await makeDirectory(this.#options.dataDir, 0o700);
      this.#lock = await acquireDataDirLock(this.#options.dataDir, () => this.#options.ids.next('lock'), this.#options.lockOptions);
      await mkdir(this.#storeDir, { recursive: true, mode: 0o700 });
      await chmod(this.#storeDir, 0o700);
      await this.#removeLeftoverTempFiles();
    } catch (error) {
      await this.#lock?.release();
      this.#lock = null;
      throw startError(this.#options.dataDir, error);
    }
    this.#bus = bus;
    this.#subscription = bus.on$('store.command').subscribe((command) => {
      void this.#answer(command).then((result) => bus.emit('store.result', result));
    });
  }

  async stop(): Promise<void> {
    this.#subscription?.unsubscribe();
    await Promise.all([...this.#collections.values()].map((collection) => collection.settled()));
    await this.#lock?.release();
    this.#lock = null;
  }

  async #answer(command: StoreCommand): Promise<StoreResult> {
    try {
      if (command.op === 'batch') {
        // Interim: one write after another, not yet all-or-nothing (the write-ahead log makes it so).
        for (const write of command.writes) {
          const target = await this.#collection(write.collection);
          if (write.op === 'put') await target.put(checkedKey(write.key), write.value);
          else await target.delete(checkedKey(write.key));
        }
        return { commandId: command.commandId, ok: true };
      }
      const collection = await this.#collection(command.collection);
      switch (command.op) {
        case 'put':
          await collection.put(checkedKey(command.key), command.value);
          return { commandId: command.commandId, ok: true };
        case 'delete':
          await collection.delete(checkedKey(command.key));
          return { commandId: command.commandId, ok: true };
        case 'get':
          return { commandId: command.commandId, ok: true, value: await collection.get(checkedKey(command.key)) };
        case 'list':
          return withDamaged(collection, { commandId: command.commandId, ok: true, value: inGroup(await collection.list(), command.group) });
        case 'keys':
          return withDamaged(collection, { commandId: command.commandId, ok: true, value: (await collection.keys()).filter((key) => isInGroup(key, command.group)) });
        case 'count':
          return withDamaged(collection, { commandId: command.commandId, ok: true, value: await collection.count() });
      }
    } catch (error) {
      return { commandId: command.commandId, ok: false, error: toErrorShape(error) };
    }
  }

  async #collection(name: string): Promise<ShardedCollection> {
    if (!COLLECTION_NAME.test(name)) throw new InvalidStoreCommandError(`'${name}' is not a valid collection name`);
    let collection = this.#collections.get(name);
    if (!collection) {
      const shards = this.#options.shardsPerCollection ?? DEFAULT_SHARDS_PER_COLLECTION;
      const bus = this.#bus;
      collection = new ShardedCollection(name, path.join(this.#storeDir, name), this.#options.ids, shards, (damage) => void bus?.emit('store.damaged', damage));
      this.#collections.set(name, collection);
    }
    await collection.loaded;
    return collection;
  }

  async #removeLeftoverTempFiles(): Promise<void> {
    const entries = await readdir(this.#storeDir, { recursive: true });
    await Promise.all(
      entries.filter((entry) => entry.endsWith(DURABLE_TEMP_SUFFIX)).map((entry) => unlink(path.join(this.#storeDir, entry))),
    );
  }
}

/** An OS error while taking the data directory becomes one coded sentence; the OS error stays as its cause. */
function startError(dataDir: string, error: unknown): unknown {
  if (error instanceof SafekeepError) return error;
  const code = systemErrorCode(error);
  if (code === undefined) return error;
  return new DataDirNotWritableError(`Cannot use ${dataDir} as the data directory (${code}): it must be a folder this user can create and write`, {
    cause: error,
  });
}

/** A whole-collection answer says which shards it had to leave out, so no one takes it for the whole collection. */
function withDamaged(collection: ShardedCollection, result: StoreResult & { ok: true }): StoreResult {
  const damaged = collection.damagedShards();
  return damaged.length > 0 ? { ...result, damagedShards: damaged } : result;
}

function checkedKey(key: string): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new InvalidStoreCommandError('A store key must be a string of 1 to 1024 characters');
  }
  return key;
}

const isInGroup = (key: string, group: string | undefined): boolean => group === undefined || key.startsWith(groupKey(group, ''));

function inGroup(documents: Record<string, unknown>, group: string | undefined): Record<string, unknown> {
  return group === undefined ? documents : Object.fromEntries(Object.entries(documents).filter(([key]) => isInGroup(key, group)));
}
