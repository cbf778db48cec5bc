import { GROUP_SEPARATOR } from '../../src/store/group-key.ts';

/**
 * Every key of a collection, held in memory, with the shard it lives in: so
 * `count` is O(1), `keys` is a copy of a sorted array (by UTF-16 code unit,
 * as `Array.prototype.sort` orders), and a group's keys (`groupKey(group, …)`)
 * cost the group's size.
 *
 * Keys added or removed since the last `keys` wait beside the sorted array and
 * are merged in on the next one: O(n + k log k) once, rather than an O(n)
 * splice per insert, which made replaying or filling 100,000 keys quadratic.
 */
/** Up to this many changes are spliced in one by one; more are merged in one pass. */
const SPLICE_AT_MOST = 32;

export class KeyIndex {
  readonly #shardOf = new Map<string, number>();
  #sorted: string[];
  /** In the map, not yet in #sorted. */
  readonly #added = new Set<string>();
  /** Still in #sorted, no longer in the map. */
  readonly #removed = new Set<string>();
  readonly #groups = new Map<string, Set<string>>();

  /** `keys` must be sorted, without duplicates; `shards[i]` is the shard of `keys[i]`. */
  constructor(keys: readonly string[] = [], shards: readonly number[] = []) {
    this.#sorted = [...keys];
    for (let position = 0; position < keys.length; position++) {
      const key = keys[position] as string;
      this.#shardOf.set(key, shards[position] ?? 0);
      if (key.includes(GROUP_SEPARATOR)) this.#addToGroup(key);
    }
  }

  /** An index of keys in any order. */
  static fromUnsorted(entries: Iterable<readonly [string, number]>): KeyIndex {
    const index = new KeyIndex();
    for (const [key, shard] of entries) index.add(key, shard);
    return index;
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
    if (this.#removed.has(key)) this.#removed.delete(key);
    else this.#added.add(key);
    if (key.includes(GROUP_SEPARATOR)) this.#addToGroup(key);
  }

  remove(key: string): void {
    if (!this.#shardOf.delete(key)) return;
    if (this.#added.has(key)) this.#added.delete(key);
    else this.#removed.add(key);
    const group = groupOf(key);
    if (group === undefined) return;
    const members = this.#groups.get(group);
    members?.delete(key);
    if (members?.size === 0) this.#groups.delete(group);
  }

  /** Every key, sorted; the caller gets its own array. */
  keys(): string[] {
    return [...this.#merged()];
  }

  /** The keys of `groupKey(group, …)`, sorted. */
  groupKeys(group: string): string[] {
    // A group name holding the separator itself cannot be told apart by the first separator: look at every key.
    if (group.includes(GROUP_SEPARATOR)) return this.#merged().filter((key) => key.startsWith(`${group}${GROUP_SEPARATOR}`));
    return [...(this.#groups.get(group) ?? [])].sort();
  }

  /** The keys of one shard (a scan: for leaving out a damaged shard, not for ordinary requests). */
  keysOfShard(shard: number): string[] {
    const keys: string[] = [];
    for (const [key, of] of this.#shardOf) if (of === shard) keys.push(key);
    return keys;
  }

  /** For `index.json`: the sorted keys and, in the same order, their shards. */
  toJSON(): { keys: string[]; shards: number[] } {
    const keys = this.keys();
    return { keys, shards: keys.map((key) => this.#shardOf.get(key) ?? 0) };
  }

  #merged(): string[] {
    if (this.#added.size === 0 && this.#removed.size === 0) return this.#sorted;
    // A few changes (a registration between two `check_users`): a splice each, no pass over every key.
    if (this.#added.size + this.#removed.size <= SPLICE_AT_MOST) {
      for (const key of this.#removed) this.#sorted.splice(this.#position(key), 1);
      for (const key of this.#added) this.#sorted.splice(this.#position(key), 0, key);
      this.#added.clear();
      this.#removed.clear();
      return this.#sorted;
    }
    const added = [...this.#added].sort();
    const merged: string[] = [];
    let a = 0;
    for (const key of this.#sorted) {
      if (this.#removed.has(key)) continue;
      while (a < added.length && (added[a] as string) < key) merged.push(added[a++] as string);
      merged.push(key);
    }
    while (a < added.length) merged.push(added[a++] as string);
    this.#sorted = merged;
    this.#added.clear();
    this.#removed.clear();
    return merged;
  }

  /** Where `key` is or would go in #sorted (binary search). */
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
    const group = groupOf(key) as string;
    let members = this.#groups.get(group);
    if (!members) this.#groups.set(group, (members = new Set()));
    members.add(key);
  }
}

function groupOf(key: string): string | undefined {
  const at = key.indexOf(GROUP_SEPARATOR);
  return at < 0 ? undefined : key.slice(0, at);
}
