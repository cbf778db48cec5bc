import { GROUP_SEPARATOR } from '../../src/store/group-key.ts';

/** Up to this many changes are spliced into the sorted keys one by one; more are merged in one pass. */
const SPLICE_AT_MOST = 32;
/**
 * Changes merged in as soon as this many wait: a bulk insert (a fill, a
 * replay) then sorts 4,096 keys at a time, a few ms, instead of 100,000 in one
 * go (~100 ms) at the next key list or index write, which stalled the event loop.
 */
const MERGE_AT = 4096;

/**
 * Every key of a collection, held in memory, with the shard it lives in: so
 * `count` is O(1), `keys` is a copy of a sorted array (by UTF-16 code unit,
 * as `Array.prototype.sort` orders), and a group's keys (`groupKey(group, …)`)
 * cost the group's size.
 *
 * The keys sit in a sorted array (with their shards beside them) that the
 * index file gives as is, so a start builds no map of 100,000 keys: a lookup
 * is a binary search. Keys added or removed since the last `keys` wait beside
 * it and are merged in on the next one, rather than an O(n) splice per
 * insert, which made replaying or filling 100,000 keys quadratic.
 */
export class KeyIndex {
  #sorted: string[];
  #shards: number[];
  /** Not in #sorted yet, with their shards. */
  readonly #added = new Map<string, number>();
  /** Still in #sorted, but removed. */
  readonly #removed = new Set<string>();
  /** Built on the first group question, then kept up to date. */
  #groups: Map<string, Set<string>> | null = null;

  /** `keys` must be sorted, without duplicates; `shards[i]` is the shard of `keys[i]`. Both are taken, not copied. */
  constructor(keys: string[] = [], shards: number[] = []) {
    this.#sorted = keys;
    this.#shards = shards;
  }

  /** An index of keys in any order. */
  static fromUnsorted(entries: Iterable<readonly [string, number]>): KeyIndex {
    const index = new KeyIndex();
    for (const [key, shard] of entries) index.add(key, shard);
    return index;
  }

  get size(): number {
    return this.#sorted.length - this.#removed.size + this.#added.size;
  }

  has(key: string): boolean {
    return this.shardOf(key) !== undefined;
  }

  shardOf(key: string): number | undefined {
    const added = this.#added.get(key);
    if (added !== undefined) return added;
    if (this.#removed.has(key)) return undefined;
    const position = this.#position(key);
    return this.#sorted[position] === key ? this.#shards[position] : undefined;
  }

  add(key: string, shard: number): void {
    if (this.has(key)) return;
    if (this.#removed.has(key)) this.#removed.delete(key);
    else this.#added.set(key, shard);
    if (this.#groups && key.includes(GROUP_SEPARATOR)) addToGroup(this.#groups, key);
    if (this.#added.size + this.#removed.size >= MERGE_AT) this.#merge();
  }

  remove(key: string): void {
    if (this.#added.has(key)) this.#added.delete(key);
    else if (this.has(key)) this.#removed.add(key);
    else return;
    if (this.#added.size + this.#removed.size >= MERGE_AT) this.#merge();
    const group = groupOf(key);
    if (group === undefined || !this.#groups) return;
    const members = this.#groups.get(group);
    members?.delete(key);
    if (members?.size === 0) this.#groups.delete(group);
  }

  /** Every key, sorted; the caller gets its own array. */
  keys(): string[] {
    this.#merge();
    return [...this.#sorted];
  }

  /** The keys of `groupKey(group, …)`, sorted. */
  groupKeys(group: string): string[] {
    // A group name holding the separator itself cannot be told apart by the first separator: look at every key.
    if (group.includes(GROUP_SEPARATOR)) return this.keys().filter((key) => key.startsWith(`${group}${GROUP_SEPARATOR}`));
    if (!this.#groups) {
      this.#groups = new Map();
      for (const key of this.keys()) if (key.includes(GROUP_SEPARATOR)) addToGroup(this.#groups, key);
    }
    return [...(this.#groups.get(group) ?? [])].sort();
  }

  /** The keys of one shard (a scan: for leaving out a damaged shard, not for ordinary requests). */
  keysOfShard(shard: number): string[] {
    this.#merge();
    return this.#sorted.filter((_, position) => this.#shards[position] === shard);
  }

  /** For `index.json`: the sorted keys and, in the same order, their shards. */
  toJSON(): { keys: string[]; shards: number[] } {
    this.#merge();
    return { keys: [...this.#sorted], shards: [...this.#shards] };
  }

  #merge(): void {
    if (this.#added.size === 0 && this.#removed.size === 0) return;
    if (this.#added.size + this.#removed.size <= SPLICE_AT_MOST) {
      // A few changes (a registration between two `check_users`): a splice each, no pass over every key.
      for (const key of this.#removed) {
        const position = this.#position(key);
        this.#sorted.splice(position, 1);
        this.#shards.splice(position, 1);
      }
      for (const [key, shard] of this.#added) {
        const position = this.#position(key);
        this.#sorted.splice(position, 0, key);
        this.#shards.splice(position, 0, shard);
      }
    } else {
      const added = [...this.#added.keys()].sort();
      const keys: string[] = [];
      const shards: number[] = [];
      let next = 0;
      this.#sorted.forEach((key, position) => {
        while (next < added.length && (added[next] as string) < key) {
          keys.push(added[next] as string);
          shards.push(this.#added.get(added[next++] as string) as number);
        }
        if (this.#removed.has(key)) return;
        keys.push(key);
        shards.push(this.#shards[position] as number);
      });
      for (; next < added.length; next++) {
        keys.push(added[next] as string);
        shards.push(this.#added.get(added[next] as string) as number);
      }
      this.#sorted = keys;
      this.#shards = shards;
    }
    this.#added.clear();
    this.#removed.clear();
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
}

function addToGroup(groups: Map<string, Set<string>>, key: string): void {
  const group = groupOf(key) as string;
  let members = groups.get(group);
  if (!members) groups.set(group, (members = new Set()));
  members.add(key);
}

function groupOf(key: string): string | undefined {
  const at = key.indexOf(GROUP_SEPARATOR);
  return at < 0 ? undefined : key.slice(0, at);
}
