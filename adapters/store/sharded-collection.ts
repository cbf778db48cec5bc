import path from 'node:path';
import { systemErrorCode } from '../../src/errors/safekeep-error.ts';
import { fsyncDirectory } from '../../src/fs/fsync-directory.ts';
import { makeDirectory } from '../../src/fs/make-directory.ts';
import type { IdSource } from '../../src/ids/ids.ts';
import { StoreCorruptError, StoreWriteFailedError } from '../../src/store/errors.ts';
import type { StoreDamaged, StoreWrite } from '../../src/store/messages.ts';
import { CURRENT_MANIFEST_VERSION, readIndexFile, readManifest, writeIndexFile, writeManifest } from './collection-files.ts';
import { KeyIndex } from './key-index.ts';
import { loadKeys } from './load-keys.ts';
import { DocumentOverlay } from './document-overlay.ts';
import type { ShardCache } from './shard-cache.ts';
import { emptyDocuments, readShard, shardFileName, shardFingerprint, shardHex, shardOfKey, writeShard, type ShardFingerprint } from './shard-file.ts';

export interface CollectionContext {
  readonly ids: IdSource;
  readonly cache: ShardCache;
  /** Shards of a collection made now; an existing one keeps the count it was made with. */
  readonly defaultShardCount: number;
  /** Told once about each shard that cannot be read; whole-collection reads go on without it. */
  readonly onDamaged: (damage: StoreDamaged) => void;
  /** Told of every shard file read (tests and benches count them). */
  readonly onShardRead?: () => void;
}

/**
 * A collection: lowdb shard files (each key in the shard its SHA-256 picks)
 * that are the checkpoints of the write-ahead log, the changes made since the
 * last checkpoint (the overlay), and every key in memory (the key index).
 * Counts and key lists come from the index; a document comes from the overlay
 * or, through the shard cache, from its shard file.
 */
export class ShardedCollection {
  /** What messages that may reach a client say, instead of the path. */
  readonly name: string;
  readonly #dir: string;
  readonly #context: CollectionContext;
  #shardCount: number;
  #index = new KeyIndex();
  readonly #overlay = new DocumentOverlay();
  readonly #fingerprints = new Map<number, ShardFingerprint>();
  readonly #damaged = new Map<number, StoreCorruptError>();
  readonly #reported = new Set<number>();
  /** A manifest that cannot be read makes the whole collection unreadable (and unwritable). */
  #broken: StoreCorruptError | null = null;
  #created: Promise<void> | null = null;
  /** collection.json says the current version: rewriting it at every checkpoint would cost two fsyncs for nothing. */
  #manifestCurrent = false;
  /** The index file is older than what is in memory and the shards: write it at the next chance. */
  #indexStale = false;

  constructor(name: string, dir: string, context: CollectionContext) {
    this.name = name;
    this.#dir = dir;
    this.#context = context;
    this.#shardCount = context.defaultShardCount;
  }

  /**
   * Reads the manifest and the key index; a shard file is read only if the
   * index does not vouch for it (no index yet: the migration from version 2;
   * a file changed since). Never throws for damage: it is kept and answered.
   */
  async load(options: { trustIndex: boolean } = { trustIndex: true }): Promise<void> {
    let manifest;
    try {
      manifest = await readManifest(this.#dir, this.name);
    } catch (error) {
      if (!(error instanceof StoreCorruptError)) throw error;
      this.#broken = error;
      return;
    }
    if (manifest === null) return;
    this.#shardCount = manifest.shards;
    this.#created = Promise.resolve();
    this.#manifestCurrent = manifest.version === CURRENT_MANIFEST_VERSION;
    const loaded = await loadKeys({
      dir: this.#dir,
      shardCount: this.#shardCount,
      indexFile: manifest.version === CURRENT_MANIFEST_VERSION && options.trustIndex ? await readIndexFile(this.#dir, this.#shardCount) : null,
      shardPath: (shard) => this.#shardPath(shard),
      readShardFile: (shard) => this.#readShardFile(shard),
    });
    this.#index = loaded.index;
    for (const [shard, fingerprint] of loaded.fingerprints) this.#fingerprints.set(shard, fingerprint);
    for (const [shard, error] of loaded.damaged) this.#damaged.set(shard, error);
    this.#indexStale = loaded.stale;
  }

  /** Replays one write of the log (or applies one just made durable): the overlay and the index follow it. */
  apply(write: StoreWrite, seq: number): void {
    const shard = this.#index.shardOf(write.key) ?? shardOfKey(write.key, this.#shardCount);
    if (write.op === 'put') {
      // The value was parsed from the log's JSON (or the line just logged): no one else holds it.
      this.#overlay.put(write.key, write.value, seq, shard);
      this.#index.add(write.key, shard);
    } else {
      // Recorded even for a key the index does not know: the shard file may still hold it (an index written after the delete).
      this.#overlay.delete(write.key, seq, shard);
      this.#index.remove(write.key);
    }
  }

  /** Refuses, before anything is logged, a write this collection could not keep (its manifest or its shard is damaged). */
  checkWritable(key: string): void {
    if (this.#broken) throw this.#broken;
    const shard = shardOfKey(key, this.#shardCount);
    const damage = this.#damaged.get(shard);
    if (damage) throw this.#report(shard, damage);
  }

  /** Makes the collection's folder and manifest on its first write; nothing is acknowledged before they are durable. */
  ensureCreated(storeDir: string): Promise<void> {
    this.#created ??= (async () => {
      const manifestPath = path.join(this.#dir, 'collection.json');
      try {
        await makeDirectory(this.#dir, 0o700);
        await fsyncDirectory(storeDir);
        await writeManifest(this.#dir, this.#shardCount, this.#context.ids);
        this.#manifestCurrent = true;
      } catch (cause) {
        throw new StoreWriteFailedError(`Could not create collection ${this.name}: ${systemErrorCode(cause) ?? 'the write failed'}`, {
          cause,
          detail: `${manifestPath}: ${cause instanceof Error ? cause.message : String(cause)}`,
        });
      }
    })().catch((error: unknown) => {
      this.#created = null;
      throw error;
    });
    return this.#created;
  }

  async get(key: string): Promise<unknown> {
    if (this.#broken) throw this.#broken;
    for (;;) {
      const changed = this.#overlay.get(key);
      if (changed) return changed.deleted ? undefined : structuredClone(changed.value);
      const shard = shardOfKey(key, this.#shardCount);
      const damage = this.#damaged.get(shard);
      if (damage) throw this.#report(shard, damage);
      if (!this.#index.has(key)) return undefined;
      const cached = await this.#readShard(shard);
      if (this.#overlay.has(key) || cached.generation !== this.#context.cache.generation(this.#cacheId(shard))) continue;
      const value = cached.documents[key];
      return value === undefined ? undefined : structuredClone(value);
    }
  }

  /** Every readable document (of one group, with `group`); a damaged shard is left out and reported. */
  async list(group?: string): Promise<Record<string, unknown>> {
    if (this.#broken) throw this.#broken;
    const loaded = new Map<number, { documents: Record<string, unknown>; generation: number }>();
    for (;;) {
      const keys = this.keys(group);
      const missing = new Set<number>();
      for (const key of keys) {
        if (this.#overlay.has(key)) continue;
        const shard = this.#index.shardOf(key) as number;
        const held = loaded.get(shard);
        if (!held || held.generation !== this.#context.cache.generation(this.#cacheId(shard))) missing.add(shard);
      }
      if (missing.size === 0) {
        const entries = keys.map((key): [string, unknown] => {
          const changed = this.#overlay.get(key);
          return [key, changed ? changed.value : loaded.get(this.#index.shardOf(key) as number)?.documents[key]];
        });
        // fromEntries defines properties, so a key like `__proto__` stays a plain key.
        return structuredClone(Object.fromEntries(entries));
      }
      for (const shard of [...missing].sort((a, b) => a - b)) {
        try {
          loaded.set(shard, await this.#readShard(shard));
        } catch (error) {
          if (!(error instanceof StoreCorruptError)) throw error;
        }
      }
    }
  }

  /** Every readable key, sorted (of one group, with `group`). */
  keys(group?: string): string[] {
    if (this.#broken) throw this.#broken;
    const keys = group === undefined ? this.#index.keys() : this.#index.groupKeys(group);
    this.#reportAllDamaged();
    return this.#damaged.size === 0 ? keys : keys.filter((key) => !this.#damaged.has(this.#index.shardOf(key) as number));
  }

  count(): number {
    if (this.#broken) throw this.#broken;
    this.#reportAllDamaged();
    if (this.#damaged.size === 0) return this.#index.size;
    let lost = 0;
    for (const shard of this.#damaged.keys()) lost += this.#index.keysOfShard(shard).length;
    return this.#index.size - lost;
  }

  /** The shards found unreadable so far (three hex digits each), which whole-collection reads left out. */
  damagedShards(): string[] {
    return [...this.#reported].sort((a, b) => a - b).map(shardHex);
  }

  /** Shards with changes since the last checkpoint that can take them. */
  dirtyShards(): number[] {
    if (this.#broken) return [];
    return this.#overlay.shards().filter((shard) => !this.#damaged.has(shard));
  }

  /**
   * One checkpoint step: the shard file as it is plus the overlay's changes
   * for it, written durably through lowdb; then the changes that are now in
   * the file (and were not changed again meanwhile) leave the overlay.
   * A shard found damaged is left untouched and keeps its changes in memory.
   */
  async checkpointShard(shard: number, storeDir: string): Promise<void> {
    const changes = this.#overlay.changesOf(shard);
    if (changes.length === 0) return;
    await this.ensureCreated(storeDir);
    let cached;
    try {
      cached = await this.#readShard(shard);
    } catch (error) {
      if (error instanceof StoreCorruptError) return;
      throw error;
    }
    // A copy: readers of the cached shard must not see documents that are not yet in its file.
    const documents = Object.assign(emptyDocuments(), cached.documents);
    for (const [key, change] of changes) {
      if (change.deleted) delete documents[key];
      else documents[key] = change.value;
    }
    const bytes = await writeShard(this.#shardPath(shard), this.#label(shard), this.#context.ids, documents);
    const fingerprint = await shardFingerprint(this.#shardPath(shard));
    if (fingerprint) this.#fingerprints.set(shard, fingerprint);
    this.#context.cache.replace(this.#cacheId(shard), documents, bytes);
    for (const [key, change] of changes) this.#overlay.forget(key, change);
    this.#indexStale = true;
  }

  /** Writes `index.json` if it is behind; call after the shards' checkpoint. */
  async writeIndex(): Promise<void> {
    if (this.#broken || !this.#indexStale || this.#created === null) return;
    this.#indexStale = false;
    try {
      await this.#created;
      const fingerprints: Record<string, ShardFingerprint> = {};
      for (const [shard, fingerprint] of [...this.#fingerprints].sort(([a], [b]) => a - b)) if (!this.#damaged.has(shard)) fingerprints[shardHex(shard)] = fingerprint;
      await writeIndexFile(this.#dir, { fingerprints, ...this.#index.toJSON() }, this.#context.ids);
      // Once, after the first index (the migration from version 2): from then on the index is trusted at start.
      if (!this.#manifestCurrent) {
        await writeManifest(this.#dir, this.#shardCount, this.#context.ids);
        this.#manifestCurrent = true;
      }
    } catch (error) {
      this.#indexStale = true;
      throw error;
    }
  }

  /** Changes no checkpoint can take (damaged shard or manifest): they must be carried into the next log segment. */
  stuckWrites(): StoreWrite[] {
    const shards = this.#broken ? this.#overlay.shards() : [...this.#damaged.keys()];
    return shards.flatMap((shard) =>
      this.#overlay.changesOf(shard).map(([key, change]): StoreWrite =>
        change.deleted ? { op: 'delete', collection: this.name, key } : { op: 'put', collection: this.name, key, value: change.value },
      ),
    );
  }

  async #readShard(shard: number): Promise<{ documents: Record<string, unknown>; generation: number }> {
    try {
      return await this.#context.cache.read(this.#cacheId(shard), () => this.#readShardFile(shard), emptyDocuments);
    } catch (error) {
      if (error instanceof StoreCorruptError) {
        this.#damaged.set(shard, error);
        throw this.#report(shard, error);
      }
      throw error;
    }
  }

  #readShardFile(shard: number): ReturnType<typeof readShard> {
    this.#context.onShardRead?.();
    return readShard(this.#shardPath(shard), this.#label(shard), this.#context.ids);
  }

  #reportAllDamaged(): void {
    for (const [shard, error] of this.#damaged) this.#report(shard, error);
  }

  #report(shard: number, error: StoreCorruptError): StoreCorruptError {
    if (!this.#reported.has(shard)) {
      this.#reported.add(shard);
      this.#context.onDamaged({ collection: this.name, shard: shardHex(shard), message: error.message, ...(error.detail ? { detail: error.detail } : {}) });
    }
    return error;
  }

  #shardPath(shard: number): string {
    return path.join(this.#dir, shardFileName(shard));
  }

  #label(shard: number): string {
    return `${this.name} shard ${shardHex(shard)}`;
  }

  #cacheId(shard: number): string {
    return `${this.name}/${shard}`;
  }
}
