import { InvalidStoreCommandError } from '../../src/store/errors.ts';
import type { StoreWrite } from '../../src/store/messages.ts';

/**
 * The store contract's checks, as the lowdb store makes them, so a command
 * refused on one node is refused on every node and by either store.
 */
const COLLECTION_NAME = /^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)*$/;
const MAX_KEY_LENGTH = 1024;

export function checkedCollection(name: unknown): string {
  if (typeof name !== 'string' || !COLLECTION_NAME.test(name)) throw new InvalidStoreCommandError(`'${String(name)}' is not a valid collection name`);
  return name;
}

export function checkedKey(key: unknown): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new InvalidStoreCommandError('A store key must be a string of 1 to 1024 characters');
  }
  return key;
}

export function checkedGroup(group: unknown): string | undefined {
  if (group === undefined || (typeof group === 'string' && group.length > 0 && group.length <= MAX_KEY_LENGTH)) return group;
  throw new InvalidStoreCommandError('A group must be a string of 1 to 1024 characters');
}

/**
 * Every write of a command checked before any is sent: a batch is refused
 * whole or kept whole. With `jsonChecked: 'later'` the values are not
 * serialised here (the caller serialises the whole batch once and refuses it
 * through `plainJson` if that throws): a second JSON pass over every value was
 * a hot-path cost of each book write.
 */
export function checkedWrites(writes: unknown, jsonChecked: 'here' | 'later' = 'here'): StoreWrite[] {
  if (!Array.isArray(writes)) throw new InvalidStoreCommandError('A batch must carry a list of writes');
  return writes.map((write: Partial<StoreWrite> | null) => {
    if (typeof write !== 'object' || write === null || (write.op !== 'put' && write.op !== 'delete')) {
      throw new InvalidStoreCommandError("Each write of a batch must be a 'put' or a 'delete'");
    }
    const collection = checkedCollection(write.collection);
    const key = checkedKey(write.key);
    if (write.op === 'delete') return { op: 'delete', collection, key };
    const value = (write as { value?: unknown }).value;
    return { op: 'put', collection, key, value: jsonChecked === 'here' ? checkedValue(value) : definedValue(value) };
  });
}

/** A conditional write's `ifUnchangedSince`: absent, or a stream sequence a read answered with. */
export function checkedCondition(at: unknown): number | undefined {
  if (at === undefined) return undefined;
  if (typeof at === 'number' && Number.isSafeInteger(at) && at >= 0) return at;
  throw new InvalidStoreCommandError('ifUnchangedSince must be a store position (a whole number) that a read answered with');
}

/** JSON would drop `undefined` and refuse a cycle or a BigInt: none of them can be stored. */
export function checkedValue(value: unknown): unknown {
  plainJson(definedValue(value));
  return value;
}

function definedValue(value: unknown): unknown {
  if (value === undefined) throw new InvalidStoreCommandError('A put must carry a value');
  return value;
}

/** `value` as JSON, or the store's refusal of a value JSON cannot carry (a cycle, a BigInt). */
export function plainJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch (cause) {
    throw new InvalidStoreCommandError('A stored value must be plain JSON data', { cause });
  }
}
