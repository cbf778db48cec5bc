import { Low } from 'lowdb';
import type { IdSource } from '../../src/ids/ids.ts';
import { StoreCorruptError } from '../../src/store/errors.ts';
import { DurableJsonFile } from './durable-json-file.ts';

/** What one shard file holds. Documents sit in a prototype-free object: any key is just a key. */
interface ShardData {
  format: 'safekeep.shard';
  version: 1;
  documents: Record<string, unknown>;
}

const emptyShard = (): ShardData => ({ format: 'safekeep.shard', version: 1, documents: Object.create(null) as Record<string, unknown> });

/**
 * One shard of a collection: a lowdb file of documents. Changes apply to
 * memory at once and resolve when durable; reads wait until earlier writes are
 * durable, so nothing is ever read that a crash could still undo.
 */
export class ShardFile {
  readonly #db: Low<ShardData>;
  readonly #file: DurableJsonFile<ShardData>;
  readonly #filePath: string;
  readonly #label: string;
  readonly loaded: Promise<void>;

  /** `label` names the shard in messages a client may see (`book.users shard 0a3`); the path goes to the log only. */
  constructor(filePath: string, label: string, ids: IdSource) {
    this.#filePath = filePath;
    this.#label = label;
    this.#file = new DurableJsonFile<ShardData>(filePath, label, ids, (lastDurable) => {
      this.#db.data = lastDurable ? this.#validated(lastDurable) : emptyShard();
    });
    this.#db = new Low(this.#file, emptyShard());
    this.loaded = this.#load();
  }

  put(key: string, value: unknown): Promise<void> {
    this.#db.data.documents[key] = structuredClone(value);
    return this.#db.write();
  }

  delete(key: string): Promise<void> {
    if (!(key in this.#db.data.documents)) return this.#file.settled();
    delete this.#db.data.documents[key];
    return this.#db.write();
  }

  async get(key: string): Promise<unknown> {
    await this.#file.settled();
    const value = this.#db.data.documents[key];
    return value === undefined ? undefined : structuredClone(value);
  }

  /** The durable documents, not copied: callers copy what they hand out. */
  async documents(): Promise<Readonly<Record<string, unknown>>> {
    await this.#file.settled();
    return this.#db.data.documents;
  }

  /** Resolves when every change made so far is durable (or has failed). */
  settled(): Promise<void> {
    return this.#file.settled();
  }

  async #load(): Promise<void> {
    await this.#db.read();
    this.#db.data = this.#validated(this.#db.data);
  }

  #validated(data: ShardData): ShardData {
    const documents: unknown = data?.documents;
    if (data?.format !== 'safekeep.shard' || typeof documents !== 'object' || documents === null || Array.isArray(documents)) {
      throw new StoreCorruptError(`${this.#label} is not a safekeep shard file; it was left untouched`, { detail: this.#filePath });
    }
    return { ...data, documents: Object.assign(Object.create(null) as Record<string, unknown>, documents) };
  }
}
