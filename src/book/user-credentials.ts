import type { RandomSource } from '../random/random.ts';
import { checkBookDocument } from './book-check.ts';
import { withCredentialsDigest } from './book-digests.ts';
import type { StoredUserRecord, UserRecord } from './book-records.ts';
import { CredentialsDamagedError, VaultIntegrityError } from './errors.ts';
import type { PasswordHasher } from './password-hasher.ts';
import { open, seal } from './sealed-box.ts';

// What the wrapped data key is bound to: moved to another user, it fails to open.
const dataKeyContext = (username: string) => `safekeep.book.data-key.v1\0${username}`;

type Credentials = Pick<UserRecord, 'username' | 'passwordHash' | 'keyDerivation' | 'wrappedKey' | 'credentialsDigest'>;

/**
 * A user's credential fields: the master password's hash, how the
 * key-wrapping key is derived from it, the data key wrapped under that key,
 * and their digest. Written together, so a change of master password is one
 * record write; checked together, so a damaged one fails that user's login
 * with CREDENTIALS_DAMAGED and no one else's.
 */
export class UserCredentials {
  readonly #hasher: PasswordHasher;
  readonly #random: RandomSource;

  constructor(hasher: PasswordHasher, random: RandomSource) {
    this.#hasher = hasher;
    this.#random = random;
  }

  /** A fresh hash, salt and wrapping of `dataKey` for `password`, with the current parameters, digested. */
  async fresh(username: string, password: string, dataKey: Buffer): Promise<Credentials> {
    const hasher = this.#hasher;
    const salt = hasher.newSalt();
    const [passwordHash, wrappingKey] = await Promise.all([hasher.hash(password), hasher.deriveKey(password, salt, hasher.params)]);
    try {
      return withCredentialsDigest({
        username,
        passwordHash,
        keyDerivation: { ...hasher.params, salt: salt.toString('base64') },
        wrappedKey: seal(wrappingKey, dataKey, dataKeyContext(username), this.#random),
      });
    } finally {
      wrappingKey.fill(0);
    }
  }

  /** The data key, for a password whose hash has already matched. */
  async unwrap(record: StoredUserRecord, password: string): Promise<Buffer> {
    const { salt, memoryCost, timeCost, parallelism } = record.keyDerivation;
    const wrappingKey = await this.#hasher.deriveKey(password, Buffer.from(salt, 'base64'), { memoryCost, timeCost, parallelism });
    try {
      return open(wrappingKey, record.wrappedKey, dataKeyContext(record.username));
    } catch (error) {
      // The password was right (its hash matched), so the wrapped key is what is damaged: a record from before digests.
      if (error instanceof VaultIntegrityError) throw damaged(record.username, error);
      throw error;
    } finally {
      wrappingKey.fill(0);
    }
  }
}

/** Refuses a user whose credential fields fail their digest, before any hash is spent on them. */
export function checkCredentials(username: string, record: StoredUserRecord): void {
  if (checkBookDocument(username, record).credentialsDamaged) throw damaged(username);
}

function damaged(username: string, cause?: unknown): CredentialsDamagedError {
  return new CredentialsDamagedError(`The stored credentials of '${username}' are damaged; restore the user's record from a backup`, cause === undefined ? {} : { cause });
}
