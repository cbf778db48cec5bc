/** A document's change since the last checkpoint: its whole new value, or its deletion. */
export interface DocumentChange {
  readonly value: unknown;
  readonly deleted: boolean;
  /** The log record that made it. */
  readonly seq: number;
  readonly shard: number;
}

/**
 * The documents of a collection changed since their shard's last checkpoint,
 * by key and by shard. It holds only what the log holds beyond the shard
 * files, so it is bounded by the log's size between checkpoints.
 */
export class DocumentOverlay {
  readonly #changes = new Map<string, DocumentChange>();
  readonly #byShard = new Map<number, Set<string>>();

  get size(): number {
    return this.#changes.size;
  }

  put(key: string, value: unknown, seq: number, shard: number): void {
    this.#set(key, { value, deleted: false, seq, shard });
  }

  delete(key: string, seq: number, shard: number): void {
    this.#set(key, { value: undefined, deleted: true, seq, shard });
  }

  get(key: string): DocumentChange | undefined {
    return this.#changes.get(key);
  }

  has(key: string): boolean {
    return this.#changes.has(key);
  }

  shards(): number[] {
    return [...this.#byShard.keys()].sort((a, b) => a - b);
  }

  changesOf(shard: number): [string, DocumentChange][] {
    return [...(this.#byShard.get(shard) ?? [])].map((key) => [key, this.#changes.get(key) as DocumentChange]);
  }

  /** Drops `change` now that its shard file holds it, unless the key was changed again meanwhile. */
  forget(key: string, change: DocumentChange): void {
    if (this.#changes.get(key) !== change) return;
    this.#changes.delete(key);
    const keys = this.#byShard.get(change.shard);
    keys?.delete(key);
    if (keys?.size === 0) this.#byShard.delete(change.shard);
  }

  #set(key: string, change: DocumentChange): void {
    this.#changes.set(key, change);
    let keys = this.#byShard.get(change.shard);
    if (!keys) this.#byShard.set(change.shard, (keys = new Set()));
    keys.add(key);
  }
}
