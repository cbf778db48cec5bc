import type { ShardDocuments } from './shard-file.ts';

/** A shard's documents as parsed, and the generation they belong to (see ShardCache.generation). */
export interface CachedShard {
  readonly documents: ShardDocuments;
  readonly generation: number;
}

export const DEFAULT_SHARD_CACHE_BYTES = 32 * 1024 * 1024;

/**
 * The parsed shard files read lately, least recently used first out, bounded
 * by the size of their text: documents stay on disk and are read on demand,
 * so memory does not grow with every user ever read.
 *
 * A checkpoint that rewrites a shard `replace`s it here, which bumps the
 * shard's generation: a read of the old file still in flight is then not
 * cached, and a reader that awaited one can see that it is stale.
 */
export class ShardCache {
  readonly #limit: number;
  readonly #entries = new Map<string, { documents: ShardDocuments; bytes: number }>();
  readonly #generations = new Map<string, number>();
  readonly #loading = new Map<string, Promise<CachedShard>>();
  #bytes = 0;

  constructor(limitBytes: number = DEFAULT_SHARD_CACHE_BYTES) {
    this.#limit = limitBytes;
  }

  generation(id: string): number {
    return this.#generations.get(id) ?? 0;
  }

  /** The shard's documents, from memory or through `load` (concurrent reads of one shard share one load). */
  read(id: string, load: () => Promise<{ documents: ShardDocuments; bytes: number } | null>, empty: () => ShardDocuments): Promise<CachedShard> {
    const cached = this.#entries.get(id);
    if (cached) {
      // Re-inserted: a Map iterates in insertion order, so the first entry is the least recently used.
      this.#entries.delete(id);
      this.#entries.set(id, cached);
      return Promise.resolve({ documents: cached.documents, generation: this.generation(id) });
    }
    let loading = this.#loading.get(id);
    if (!loading) {
      const generation = this.generation(id);
      loading = load()
        .then((loaded) => {
          const documents = loaded?.documents ?? empty();
          if (this.generation(id) === generation) this.#insert(id, documents, loaded?.bytes ?? 0);
          return { documents, generation };
        })
        .finally(() => {
          if (this.#loading.get(id) === loading) this.#loading.delete(id);
        });
      this.#loading.set(id, loading);
    }
    return loading;
  }

  /** The shard as just written: cached as the newest generation. */
  replace(id: string, documents: ShardDocuments, bytes: number): void {
    this.#generations.set(id, this.generation(id) + 1);
    this.#loading.delete(id);
    this.#remove(id);
    this.#insert(id, documents, bytes);
  }

  /** Held bytes, for tests and benches. */
  get bytes(): number {
    return this.#bytes;
  }

  #insert(id: string, documents: ShardDocuments, bytes: number): void {
    this.#remove(id);
    this.#entries.set(id, { documents, bytes });
    this.#bytes += bytes;
    for (const [oldest, entry] of this.#entries) {
      if (this.#bytes <= this.#limit || oldest === id) break;
      this.#entries.delete(oldest);
      this.#bytes -= entry.bytes;
    }
  }

  #remove(id: string): void {
    const entry = this.#entries.get(id);
    if (!entry) return;
    this.#entries.delete(id);
    this.#bytes -= entry.bytes;
  }
}
