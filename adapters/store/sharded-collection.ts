import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { systemErrorCode } from '../../src/errors/safekeep-error.ts';
import type { IdSource } from '../../src/ids/ids.ts';
import { StoreCorruptError, StoreWriteFailedError } from '../../src/store/errors.ts';
import type { StoreDamaged } from '../../src/store/messages.ts';
import { ShardFile } from './shard-file.ts';
import { writeFileDurably } from '../../src/fs/write-file-durably.ts';

const MANIFEST = 'collection.json';

type ShardDamage = StoreDamaged;
const SHARD_FILE = /^shard-([0-9a-f]{3})\.json$/;

interface Manifest {
  format: 'safekeep.collection';
  version: 2;
  shards: number;
}

/**
 * A collection spread over a fixed number of lowdb shard files, each key in
 * the shard its SHA-256 picks. A write rewrites one shard, about 1/shards of
 * the collection, so a book of 100,000 users does not rewrite 100,000 users
 * on every change; writes to different shards flush in parallel, writes to one
 * shard are grouped into one flush.
 *
 * The shard count is fixed when the collection is first written and kept in
 * its `collection.json`, so a later change of the default never moves a key.
 */
export class ShardedCollection {
  /** The collection's name: what messages that may reach a client say, instead of its path. */
  readonly #name: string;
  readonly #dir: string;
  readonly #ids: IdSource;
  readonly #shards = new Map<number, ShardFile>();
  #shardCount: number;
  #created: Promise<void> | null = null;
  readonly loaded: Promise<void>;

  /** Told once about each shard that cannot be read; whole-collection reads go on without it. */
  readonly #onDamaged: (damage: ShardDamage) => void;
  readonly #reported = new Set<number>();

  constructor(name: string, dir: string, ids: IdSource, defaultShardCount: number, onDamaged: (damage: ShardDamage) => void = () => undefined) {
    this.#name = name;
    this.#onDamaged = onDamaged;
    this.#dir = dir;
    this.#ids = ids;
    this.#shardCount = defaultShardCount;
    this.loaded = this.#readManifest();
  }

  async put(key: string, value: unknown): Promise<void> {
    await this.#ensureCreated();
    await (await this.#shardFor(key)).put(key, value);
  }

  async delete(key: string): Promise<void> {
    await (await this.#shardFor(key)).delete(key);
  }

  async get(key: string): Promise<unknown> {
    return (await this.#shardFor(key)).get(key);
  }

  async list(): Promise<Record<string, unknown>> {
    const entries: [string, unknown][] = [];
    for (const shard of await this.#allShards()) entries.push(...Object.entries(await shard.documents()));
    // fromEntries defines properties, so a key like `__proto__` stays a plain key.
    return structuredClone(Object.fromEntries(entries));
  }

  async keys(): Promise<string[]> {
    const keys: string[] = [];
    for (const shard of await this.#allShards()) keys.push(...Object.keys(await shard.documents()));
    return keys;
  }

  async count(): Promise<number> {
    let count = 0;
    for (const shard of await this.#allShards()) count += Object.keys(await shard.documents()).length;
    return count;
  }

  /** The shards found unreadable so far (three hex digits each), which whole-collection reads left out. */
  damagedShards(): string[] {
    return [...this.#reported].sort((a, b) => a - b).map((index) => index.toString(16).padStart(3, '0'));
  }

  /** Resolves when every change made so far is durable (or has failed). */
  async settled(): Promise<void> {
    await Promise.all([...this.#shards.values()].map((shard) => shard.settled()));
  }

  async #readManifest(): Promise<void> {
    let text: string;
    try {
      text = await readFile(path.join(this.#dir, MANIFEST), 'utf8');
    } catch (error) {
      if (systemErrorCode(error) === 'ENOENT') return;
      throw error;
    }
    let manifest: Partial<Manifest> | null = null;
    try {
      manifest = JSON.parse(text) as Partial<Manifest>;
    } catch {
      // reported below
    }
    if (manifest?.format !== 'safekeep.collection' || !Number.isInteger(manifest.shards) || (manifest.shards ?? 0) < 1 || (manifest.shards ?? 0) > 4096) {
      throw new StoreCorruptError(`The manifest of collection ${this.#name} is not a safekeep collection manifest; it was left untouched`, {
        detail: path.join(this.#dir, MANIFEST),
      });
    }
    this.#shardCount = manifest.shards as number;
    this.#created = Promise.resolve();
  }

  #ensureCreated(): Promise<void> {
    this.#created ??= (async () => {
      const manifestPath = path.join(this.#dir, MANIFEST);
      try {
        await mkdir(this.#dir, { recursive: true, mode: 0o700 });
        const manifest: Manifest = { format: 'safekeep.collection', version: 2, shards: this.#shardCount };
        await writeFileDurably(manifestPath, JSON.stringify(manifest), this.#ids.next('w'));
      } catch (cause) {
        // Nothing of the write was acknowledged; the next write tries again (a folder made meanwhile is harmless).
        throw new StoreWriteFailedError(`Could not create collection ${this.#name}: ${systemErrorCode(cause) ?? 'the write failed'}`, {
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

  #shardFor(key: string): Promise<ShardFile> {
    const digest = createHash('sha256').update(key).digest();
    return this.#shard(digest.readUInt32BE(0) % this.#shardCount);
  }

  async #shard(index: number): Promise<ShardFile> {
    let shard = this.#shards.get(index);
    if (!shard) {
      const hex = index.toString(16).padStart(3, '0');
      shard = new ShardFile(path.join(this.#dir, `shard-${hex}.json`), `${this.#name} shard ${hex}`, this.#ids);
      this.#shards.set(index, shard);
    }
    await shard.loaded;
    return shard;
  }

  /**
   * Every readable shard that has a file or pending changes, in shard order.
   * A damaged shard is left out and reported, so one bad file costs the keys
   * in it and not the whole collection: a count, a key list or a full read goes
   * on over the rest (a `get` or `put` of a key in it still fails, coded).
   */
  async #allShards(): Promise<ShardFile[]> {
    let names: string[] = [];
    try {
      names = await readdir(this.#dir);
    } catch (error) {
      if (systemErrorCode(error) !== 'ENOENT') throw error;
    }
    const indexes = new Set(this.#shards.keys());
    for (const name of names) {
      const match = SHARD_FILE.exec(name);
      if (match?.[1] !== undefined) indexes.add(Number.parseInt(match[1], 16));
    }
    const sorted = [...indexes].sort((a, b) => a - b);
    const settled = await Promise.allSettled(sorted.map((index) => this.#shard(index)));
    const readable: ShardFile[] = [];
    settled.forEach((outcome, position) => {
      if (outcome.status === 'fulfilled') readable.push(outcome.value);
      else if (outcome.reason instanceof StoreCorruptError) this.#report(sorted[position] as number, outcome.reason);
      else throw outcome.reason;
    });
    return readable;
  }

  #report(index: number, error: StoreCorruptError): void {
    if (this.#reported.has(index)) return;
    this.#reported.add(index);
    this.#onDamaged({ collection: this.#name, shard: index.toString(16).padStart(3, '0'), message: error.message, ...(error.detail ? { detail: error.detail } : {}) });
  }
}
