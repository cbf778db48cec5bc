import { GROUP_SEPARATOR } from '../../src/store/group-key.ts';

/**
 * Every key of a collection, held in memory, with the shard it lives in: so
 * `count` is O(1), `keys` is a copy of an array kept sorted (by UTF-16 code
 * unit, as `Array.prototype.sort` orders) and never re-sorted whole, and a
 * group's keys (`groupKey(group, …)`) cost the group's size.
 */
export class KeyIndex {
  readonly #shardOf = new Map<string, number>();
  readonly #sorted: string[];
  readonly #groups = new Map<string, Set<string>>();

  /** `keys` must be sorted; `shards[i]` is the shard of `keys[i]`. */
  constructor(keys: readonly string[] = [], shards: readonly number[] = []) {
    this.#sorted = [...keys];
    keys.forEach((key, position) => {
      this.#shardOf.set(key, shards[position] ?? 0);
      this.#addToGroup(key);
    });
  }

  /** An index of keys in any order. */
  static fromUnsorted(entries: Iterable<readonly [string, number]>): KeyIndex {
    const pairs = [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return new KeyIndex(
      pairs.map(([key]) => key),
      pairs.map(([, shard]) => shard),
    );
  }

  get size(): number {
    return this.#shardOf.size;
  }

  has(key: string): boolean {
    return this.#shardOf.has(key);
  }

  shardOf(key: string): number | undefined {
    return this.#shardOf.get(key);
  }

  add(key: string, shard: number): void {
    if (this.#shardOf.has(key)) return;
    this.#shardOf.set(key, shard);
    this.#sorted.splice(this.#position(key), 0, key);
    this.#addToGroup(key);
  }

  remove(key: string): void {
    if (!this.#shardOf.delete(key)) return;
    this.#sorted.splice(this.#position(key), 1);
    const group = groupOf(key);
    if (group === undefined) return;
    const members = this.#groups.get(group);
    members?.delete(key);
    if (members?.size === 0) this.#groups.delete(group);
  }

  /** Every key, sorted; the caller gets its own array. */
  keys(): string[] {
    return [...this.#sorted];
  }

  /** The keys of `groupKey(group, …)`, sorted. */
  groupKeys(group: string): string[] {
    // A group name holding the separator itself cannot be told apart by the first separator: look at every key.
    if (group.includes(GROUP_SEPARATOR)) return this.#sorted.filter((key) => key.startsWith(`${group}${GROUP_SEPARATOR}`));
    return [...(this.#groups.get(group) ?? [])].sort();
  }

  /** The keys of one shard (a scan: for rebuilding or leaving out a shard, not for requests). */
  keysOfShard(shard: number): string[] {
    const keys: string[] = [];
    for (const [key, of] of this.#shardOf) if (of === shard) keys.push(key);
    return keys;
  }

  /** For `index.json`: the sorted keys and, in the same order, their shards. */
  toJSON(): { keys: string[]; shards: number[] } {
    return { keys: [...this.#sorted], shards: this.#sorted.map((key) => this.#shardOf.get(key) ?? 0) };
  }

  #position(key: string): number {
    let low = 0;
    let high = this.#sorted.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.#sorted[middle] as string) < key) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  #addToGroup(key: string): void {
    const group = groupOf(key);
    if (group === undefined) return;
    let members = this.#groups.get(group);
    if (!members) this.#groups.set(group, (members = new Set()));
    members.add(key);
  }
}

function groupOf(key: string): string | undefined {
  const at = key.indexOf(GROUP_SEPARATOR);
  return at < 0 ? undefined : key.slice(0, at);
}
