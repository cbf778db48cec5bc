import { inspectStore } from '../../adapters/store/inspect-store.ts';
import { sequentialIds } from '../../src/ids/ids.ts';

/**
 * A collection's documents as they are on disk (shard files, then the store's
 * write-ahead log over them), read the way `safekeep check` reads them: works
 * on a running, stopped or killed service's data directory alike.
 */
export async function storedCollection<T = unknown>(dataDir: string, collection: string): Promise<Record<string, T>> {
  return { ...((await inspectStore(dataDir, sequentialIds())).collections.get(collection) as Record<string, T> | undefined) };
}
