import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { systemErrorCode } from '../../src/errors/safekeep-error.ts';
import type { IdSource } from '../../src/ids/ids.ts';
import { StoreCorruptError } from '../../src/store/errors.ts';
import type { StoreDamaged } from '../../src/store/messages.ts';
import { replayLog } from './log-replay.ts';
import { ShardCache } from './shard-cache.ts';
import { ShardedCollection } from './sharded-collection.ts';
import { isCollectionName, LOG_DIR_NAME } from './store-layout.ts';

/** What an offline look at the store found: every readable document, by collection, and every damaged file. */
export interface StoreInspection {
  readonly collections: ReadonlyMap<string, Readonly<Record<string, unknown>>>;
  readonly damaged: readonly StoreDamaged[];
}

/**
 * Reads every collection of `<dataDir>/store` the way the store itself does
 * (same parsing, same checks: every shard file, then the log replayed over
 * them), without writing anything, not even the cut of a torn last log
 * record: for `safekeep check`, which runs while the service is stopped and
 * holds the lock itself. A damaged log is reported as collection `log`, shard
 * `segments`.
 */
export async function inspectStore(dataDir: string, ids: IdSource): Promise<StoreInspection> {
  const storeDir = path.join(dataDir, 'store');
  let names: string[];
  try {
    names = (await readdir(storeDir, { withFileTypes: true })).filter((entry) => entry.isDirectory() && isCollectionName(entry.name)).map((entry) => entry.name);
  } catch (error) {
    if (systemErrorCode(error) === 'ENOENT') return { collections: new Map(), damaged: [] };
    throw error;
  }
  const damaged: StoreDamaged[] = [];
  const cache = new ShardCache();
  const loaded = new Map<string, ShardedCollection>();
  const collectionNamed = (name: string): ShardedCollection => {
    let collection = loaded.get(name);
    if (!collection) {
      // Shard count 1 is only a default for a collection without a manifest, which then has no shards to read.
      collection = new ShardedCollection(name, path.join(storeDir, name), { ids, cache, defaultShardCount: 1, onDamaged: (damage) => damaged.push(damage) });
      loaded.set(name, collection);
    }
    return collection;
  };
  for (const name of names.sort()) await collectionNamed(name).load({ trustIndex: false });
  try {
    await replayLog(path.join(storeDir, LOG_DIR_NAME), (record) => {
      for (const write of record.writes) collectionNamed(write.collection).apply(write, record.seq);
    }, { repair: false });
  } catch (error) {
    if (!(error instanceof StoreCorruptError)) throw error;
    damaged.push({ collection: LOG_DIR_NAME, shard: 'segments', message: error.message, ...(error.detail ? { detail: error.detail } : {}) });
  }
  const collections = new Map<string, Readonly<Record<string, unknown>>>();
  for (const name of [...loaded.keys()].sort()) {
    try {
      collections.set(name, await (loaded.get(name) as ShardedCollection).list());
    } catch (error) {
      if (!(error instanceof StoreCorruptError)) throw error;
      damaged.push({ collection: name, shard: 'manifest', message: error.message, ...(error.detail ? { detail: error.detail } : {}) });
    }
  }
  return { collections, damaged };
}
