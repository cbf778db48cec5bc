import { hash, hashRaw, parseOptions, verify } from '@node-rs/argon2';
import type { RandomSource } from '../random/random.ts';
import { ConcurrencyLimit } from './concurrency-limit.ts';

/** Argon2id cost parameters: memory in KiB, passes, lanes. */
export interface Argon2Params {
  readonly memoryCost: number;
  readonly timeCost: number;
  readonly parallelism: number;
}

/** OWASP's minimum for Argon2id (m = 19 MiB, t = 2, p = 1); safekeep refuses anything weaker. */
export const OWASP_ARGON2ID: Argon2Params = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

// Argon2id in @node-rs/argon2's Algorithm enum, which is `const` and so has no runtime value to import.
const ARGON2ID = 2;
const SALT_BYTES = 16;

/** Throws unless `params` are at least OWASP's minimum with one lane. */
export function checkArgon2Params(params: Argon2Params): Argon2Params {
  if (params.memoryCost < OWASP_ARGON2ID.memoryCost || params.timeCost < OWASP_ARGON2ID.timeCost || params.parallelism !== 1) {
    throw new RangeError('Argon2id parameters must be at least m=19456 KiB, t=2, with p=1 (OWASP)');
  }
  return params;
}

/**
 * Master-password hashing and key derivation with Argon2id. Hashes run on
 * libuv's thread pool (the event loop stays free) and at most `maxConcurrent`
 * at a time. Salts come from the injected random source.
 */
export class PasswordHasher {
  readonly params: Argon2Params;
  readonly #random: RandomSource;
  readonly #limit: ConcurrencyLimit;
  #decoy: Promise<string> | null = null;

  constructor(options: { params: Argon2Params; random: RandomSource; maxConcurrent: number }) {
    this.params = checkArgon2Params(options.params);
    this.#random = options.random;
    this.#limit = new ConcurrencyLimit(options.maxConcurrent);
  }

  /** The PHC string (`$argon2id$v=19$m=…,t=…,p=1$salt$hash`), which names its own parameters. */
  hash(password: string): Promise<string> {
    const salt = this.#random.bytes(SALT_BYTES);
    return this.#limit.run(() => hash(password, { ...this.params, algorithm: ARGON2ID, salt }));
  }

  verify(phc: string, password: string): Promise<boolean> {
    return this.#limit.run(() => verify(phc, password).catch(() => false));
  }

  /**
   * Costs what a `verify` of a real user costs and always fails: the answer to
   * a login for a username nobody has, so that it cannot be told apart.
   */
  async verifyDecoy(password: string): Promise<false> {
    await this.verify(await this.prepareDecoy(), password);
    return false;
  }

  /** Makes the decoy hash ahead of time, so that even the first unknown username costs only a verification. */
  prepareDecoy(): Promise<string> {
    this.#decoy ??= this.hash(this.#random.bytes(16).toString('base64'));
    return this.#decoy;
  }

  /** True when `phc` was made with weaker parameters than the current ones, or is not Argon2id. */
  needsRehash(phc: string): boolean {
    try {
      const used = parseOptions(phc);
      return (
        used.algorithm !== ARGON2ID ||
        used.memoryCost < this.params.memoryCost ||
        used.timeCost < this.params.timeCost ||
        used.parallelism !== this.params.parallelism
      );
    } catch {
      return true;
    }
  }

  /** A fresh salt for `deriveKey`. */
  newSalt(): Buffer {
    return this.#random.bytes(SALT_BYTES);
  }

  /** A 32-byte key from the master password, for wrapping the book's data key. */
  deriveKey(password: string, salt: Buffer, params: Argon2Params): Promise<Buffer> {
    return this.#limit.run(() => hashRaw(password, { ...params, algorithm: ARGON2ID, salt, outputLen: 32 }));
  }
}
