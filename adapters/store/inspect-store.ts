import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { systemErrorCode } from '../../src/errors/safekeep-error.ts';
import type { IdSource } from '../../src/ids/ids.ts';
import { StoreCorruptError } from '../../src/store/errors.ts';
import type { StoreDamaged } from '../../src/store/messages.ts';
import { ShardedCollection } from './sharded-collection.ts';

/** What an offline look at the store found: every readable document, by collection, and every damaged file. */
export interface StoreInspection {
  readonly collections: ReadonlyMap<string, Readonly<Record<string, unknown>>>;
  readonly damaged: readonly StoreDamaged[];
}

/**
 * Reads every collection of `<dataDir>/store` the way the store itself does
 * (same parsing, same checks), without writing anything: for `safekeep
 * check`, which runs while the service is stopped and holds the lock itself.
 */
export async function inspectStore(dataDir: string, ids: IdSource): Promise<StoreInspection> {
  const storeDir = path.join(dataDir, 'store');
  let names: string[];
  try {
    names = (await readdir(storeDir, { withFileTypes: true })).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  } catch (error) {
    if (systemErrorCode(error) === 'ENOENT') return { collections: new Map(), damaged: [] };
    throw error;
  }
  const collections = new Map<string, Readonly<Record<string, unknown>>>();
  const damaged: StoreDamaged[] = [];
  for (const name of names.sort()) {
    // Shard count 1 is only a default for a collection without a manifest, which then has no shards to read.
    const collection = new ShardedCollection(name, path.join(storeDir, name), ids, 1, (damage) => damaged.push(damage));
    try {
      await collection.loaded;
      collections.set(name, await collection.list());
    } catch (error) {
      if (!(error instanceof StoreCorruptError)) throw error;
      damaged.push({ collection: name, shard: 'manifest', message: error.message, ...(error.detail ? { detail: error.detail } : {}) });
    }
  }
  return { collections, damaged };
}
