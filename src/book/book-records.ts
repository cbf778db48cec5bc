import type { StoreClient } from '../store/store-client.ts';
import type { SealedBox } from './sealed-box.ts';
import type { Argon2Params } from './password-hasher.ts';

const USERS = 'book.users';
const PENDING = 'book.pending';

/** One entry of a book: its name and password sealed together under the user's data key. */
export interface EntryRecord {
  readonly sealed: SealedBox;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/**
 * A user's whole book in one document, so a change of master password (new
 * hash, re-wrapped key) is one atomic write. Nothing in it is readable
 * without the master password: the data key is wrapped, the entries sealed.
 */
export interface UserRecord {
  readonly format: 'safekeep.book.user';
  readonly version: 1;
  readonly username: string;
  readonly createdAt: number;
  /** Argon2id PHC string. */
  readonly passwordHash: string;
  /** How the key-wrapping key is derived from the master password (Argon2id, raw output). */
  readonly keyDerivation: Argon2Params & { readonly salt: string };
  /** The random data key, sealed under the key derived from the master password. */
  readonly wrappedKey: SealedBox;
  readonly entries: Readonly<Record<string, EntryRecord>>;
}

/**
 * The fields of these records that hold secret material as plain values (the
 * hash, the salt, the ciphertexts): a recording writes them as placeholders.
 * Kept here, beside the records, so a new such field is not forgotten there.
 */
export const SECRET_MATERIAL_FIELDS: ReadonlySet<string> = new Set(['passwordHash', 'salt', 'wrappedKey', 'sealed'] satisfies (keyof UserRecord | keyof EntryRecord | keyof UserRecord['keyDerivation'])[]);

/** A generated password waiting for a user to file it, sealed under the service key. */
export interface PendingRecord {
  readonly pendingId: string;
  readonly receivedAt: number;
  readonly sealed: SealedBox;
}

/** The book's documents in the store (reached only through the store's bus streams). */
export class BookRecords {
  readonly #store: StoreClient;

  constructor(store: StoreClient) {
    this.#store = store;
  }

  user(username: string): Promise<UserRecord | undefined> {
    return this.#store.get<UserRecord>(USERS, username);
  }

  saveUser(record: UserRecord): Promise<void> {
    return this.#store.put(USERS, record.username, record);
  }

  usernames(): Promise<string[]> {
    return this.#store.keys(USERS);
  }

  userCount(): Promise<number> {
    return this.#store.count(USERS);
  }

  async pending(): Promise<PendingRecord[]> {
    return Object.values(await this.#store.list<PendingRecord>(PENDING));
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
