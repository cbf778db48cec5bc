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
  /** SHA-256 of this record and its entry id (`book-digests.ts`); absent on entries written before digests. */
  readonly entryDigest?: string;
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
  /** SHA-256 of the username and the three credential fields above, so damage to them is found without the master password. */
  readonly credentialsDigest?: string;
  readonly entries: Readonly<Record<string, EntryRecord>>;
}

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
  'entryDigest',
  'credentialsDigest',
  'pendingDigest',
] satisfies (keyof UserRecord | keyof EntryRecord | keyof PendingRecord | keyof UserRecord['keyDerivation'])[]);

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
