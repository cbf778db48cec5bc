import { GROUP_SEPARATOR, groupKey } from '../store/group-key.ts';
import { isEntryNameTag } from './entry-name-tag.ts';
import type { StoreWrite } from '../store/messages.ts';
import { StoreCommandFailedError, type StoreClient, type WriteCondition } from '../store/store-client.ts';
import type { SealedBox } from './sealed-box.ts';
import type { Argon2Params } from './password-hasher.ts';

export const USERS = 'book.users';
export const ENTRIES = 'book.entries';
const PENDING = 'book.pending';

/**
 * One entry of a book, a document of its own in `book.entries` under
 * `groupKey(username, nameTag)`: its name and password sealed together under
 * the user's data key, bound to the username and the entry id (stable across
 * renames), so a box moved to another user or entry fails to open.
 */
export interface EntryDocument {
  readonly entryId: string;
  /** `entryNameTag(dataKey, name)`: what the document is found by, and part of its key. */
  readonly nameTag: string;
  readonly sealed: SealedBox;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** SHA-256 of the username, entry id, tag, box and times (`book-digests.ts`), so a document moved under another key is damaged. */
  readonly entryDigest: string;
}

/** One entry inside a version-1 user document (the layout before `book.entries`), under its entry id. */
export interface EntryRecord {
  readonly sealed: SealedBox;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** SHA-256 of this record and its entry id (`book-digests.ts`); absent on entries written before digests. */
  readonly entryDigest?: string;
}

/**
 * A user's credentials in one document, so a change of master password (new
 * hash, re-wrapped key) is one atomic write. Nothing in it is readable
 * without the master password: the data key is wrapped. Version 2: the
 * entries are documents of their own (`EntryDocument`).
 */
export interface UserRecord {
  readonly format: 'safekeep.book.user';
  readonly version: 2;
  readonly username: string;
  readonly createdAt: number;
  /** Argon2id PHC string. */
  readonly passwordHash: string;
  /** How the key-wrapping key is derived from the master password (Argon2id, raw output). */
  readonly keyDerivation: Argon2Params & { readonly salt: string };
  /** The random data key, sealed under the key derived from the master password. */
  readonly wrappedKey: SealedBox;
  /** SHA-256 of the username and the three credential fields above, so damage to them is found without the master password. */
  readonly credentialsDigest?: string;
  /** How many entries were ever added to this book: the next one's id is `entry-<this + 1>-<a draw from the id source>` (the draw keeps ids unique should this count be rewound). */
  readonly entriesAdded?: number;
}

/**
 * A user document as version 1 wrote it: the whole book inside, every entry
 * under its id. Split into a version-2 record and entry documents at the
 * user's next login (`book-migration.ts`), the first moment the data key the
 * name tags need is at hand; until then it serves everything but its entries.
 */
export interface WholeBookRecord extends Omit<UserRecord, 'version'> {
  readonly version: 1;
  readonly entries: Readonly<Record<string, unknown>>;
}

/** A stored user document in either layout. */
export type StoredUserRecord = UserRecord | WholeBookRecord;

/** Whether a user document still holds its whole book (version 1). */
export const isWholeBook = (record: StoredUserRecord): record is WholeBookRecord => 'entries' in record;

/** The key of an entry document: the user's group, then the tag of its name. */
export const entryKey = (username: string, nameTag: string): string => groupKey(username, nameTag);

/**
 * The fields of these records that hold secret material as plain values (the
 * hash, the salt, the ciphertexts): a recording writes them as placeholders.
 * Kept here, beside the records, so a new such field is not forgotten there.
 */
// The digests are here too: each is computed over a ciphertext, so a replay (whose ciphertexts are stand-ins) computes others.
export const SECRET_MATERIAL_FIELDS: ReadonlySet<string> = new Set([
  'passwordHash',
  'salt',
  'wrappedKey',
  'sealed',
  'nameTag',
  'entryDigest',
  'credentialsDigest',
  'pendingDigest',
] satisfies (keyof UserRecord | keyof EntryDocument | keyof EntryRecord | keyof PendingRecord | keyof UserRecord['keyDerivation'])[]);

/**
 * Collections whose keys hold secret material (an entry's key ends in its
 * name's tag, made with the data key): a recording writes such a key as a
 * placeholder, as it does the fields above, so a replay (whose data keys are
 * stand-ins, and so its tags) numbers them alike.
 */
export const SECRET_KEYED_COLLECTIONS: ReadonlySet<string> = new Set([ENTRIES]);

/** An entry key as it comes back in a list, with no collection beside it: a group, then a name tag. */
export const isTaggedEntryKey = (key: string): boolean => {
  const at = key.indexOf(GROUP_SEPARATOR);
  return at >= 0 && isEntryNameTag(key.slice(at + 1));
};

/** A generated password waiting for a user to file it, sealed under the service key. */
export interface PendingRecord {
  readonly pendingId: string;
  readonly receivedAt: number;
  readonly sealed: SealedBox;
  /** SHA-256 of the three fields above; absent on records written before digests. */
  readonly pendingDigest?: string;
}

/** The book's documents in the store (reached only through the store's bus streams). */
export class BookRecords {
  readonly #store: StoreClient;

  constructor(store: StoreClient) {
    this.#store = store;
  }

  user(username: string): Promise<StoredUserRecord | undefined> {
    return this.#store.get<StoredUserRecord>(USERS, username);
  }

  saveUser(record: UserRecord): Promise<void> {
    return this.#store.put(USERS, record.username, record);
  }

  /** The document stored under an entry key, as stored: a damaged one may not be an EntryDocument at all. */
  entry(key: string): Promise<unknown> {
    return this.#store.get<unknown>(ENTRIES, key);
  }

  /** `user`, answered from what this process holds, with where the store stood (`at`, undefined when it is the latest anyway). */
  userAllowingStale(username: string): Promise<{ value: StoredUserRecord | undefined; at: number | undefined }> {
    return this.#store.getAllowingStale<StoredUserRecord>(USERS, username);
  }

  /** `entry`, answered from what this process holds, with where the store stood. */
  entryAllowingStale(key: string): Promise<{ value: unknown; at: number | undefined }> {
    return this.#store.getAllowingStale<unknown>(ENTRIES, key);
  }

  /** Every entry document of one user's book under its key, as stored. */
  async entries(username: string): Promise<[key: string, document: unknown][]> {
    return Object.entries(await this.#store.list<unknown>(ENTRIES, { group: username }));
  }

  /** Writes that become durable together or not at all (a rename, a move of a whole book). */
  write(writes: readonly StoreWrite[], condition: WriteCondition = {}): Promise<void> {
    const [only, ...more] = writes;
    if (only === undefined || more.length > 0) return this.#store.batch(writes, condition);
    return only.op === 'put' ? this.#store.put(only.collection, only.key, only.value, condition) : this.#store.delete(only.collection, only.key, condition);
  }

  /** `write`, made only if nothing at all was written to the store since `at`: false, and nothing written, if something was. */
  async writeIfUnchanged(writes: readonly StoreWrite[], at: number): Promise<boolean> {
    try {
      await this.write(writes, { ifUnchangedSince: at });
      return true;
    } catch (error) {
      if (error instanceof StoreCommandFailedError && error.code === 'STORE_CONFLICT') return false;
      throw error;
    }
  }

  usernames(): Promise<string[]> {
    return this.#store.keys(USERS);
  }

  userCount(): Promise<number> {
    return this.#store.count(USERS);
  }

  /** Every inbox document under its key, as stored: a damaged one may not be a PendingRecord at all. */
  async pending(): Promise<[pendingId: string, document: unknown][]> {
    return Object.entries(await this.#store.list<unknown>(PENDING));
  }

  async hasPending(pendingId: string): Promise<boolean> {
    return (await this.#store.get(PENDING, pendingId)) !== undefined;
  }

  savePending(record: PendingRecord): Promise<void> {
    return this.#store.put(PENDING, record.pendingId, record);
  }

  deletePending(pendingId: string): Promise<void> {
    return this.#store.delete(PENDING, pendingId);
  }
}

/** The store writes that put, and delete, book documents (for `BookRecords.write`). */
export const bookWrites = {
  putUser: (record: UserRecord): StoreWrite => ({ op: 'put', collection: USERS, key: record.username, value: record }),
  putEntry: (key: string, document: unknown): StoreWrite => ({ op: 'put', collection: ENTRIES, key, value: document }),
  deleteEntry: (key: string): StoreWrite => ({ op: 'delete', collection: ENTRIES, key }),
  deletePending: (pendingId: string): StoreWrite => ({ op: 'delete', collection: PENDING, key: pendingId }),
} as const;
