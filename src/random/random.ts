import { createHash, randomBytes } from 'node:crypto';

/**
 * Where every random byte comes from: salts, keys, nonces and session tokens.
 * Injected like the clock and the ids, so a test or a replay can make a run
 * repeat exactly; production uses the operating system's CSPRNG.
 */
export interface RandomSource {
  bytes(length: number): Buffer;
}

/** The operating system's cryptographically secure random bytes. */
export const cryptoRandom: RandomSource = {
  bytes: (length) => randomBytes(length),
};

/**
 * Repeatable bytes from a seed (SHA-256 in counter mode). For tests and
 * replays only: anyone who knows the seed knows every key.
 *
 * @example
 * const random = seededRandom('test');
 * random.bytes(16); // the same 16 bytes on every run
 */
export function seededRandom(seed: string): RandomSource {
  let counter = 0;
  return {
    bytes(length) {
      const blocks: Buffer[] = [];
      for (let filled = 0; filled < length; filled += 32) {
        blocks.push(createHash('sha256').update(`${seed}\0${counter++}`).digest());
      }
      return Buffer.concat(blocks).subarray(0, length);
    },
  };
}
