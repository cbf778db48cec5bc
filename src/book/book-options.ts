import type { ThrottlePolicy } from './login-throttle.ts';
import { OWASP_ARGON2ID, checkArgon2Params, type Argon2Params } from './password-hasher.ts';

/** The password book's security settings; every one has a safe default. */
export interface BookOptions {
  /** Argon2id cost; default (and minimum) OWASP's m=19456 KiB, t=2, p=1. Raising it re-hashes each user at their next login. */
  readonly argon2?: Partial<Argon2Params>;
  /** Hashes computed at once; the rest wait. Default 2. */
  readonly maxConcurrentHashes?: number;
  /** How long a login lasts; default 15 minutes. */
  readonly sessionTtlMs?: number;
  /** How long a generated password waits in the inbox; default 1 hour. */
  readonly pendingTtlMs?: number;
  /** Login attempts per username; default 5 at once, then 1 a minute. */
  readonly perUserThrottle?: ThrottlePolicy;
  /** Login attempts per client address; default 20 at once, then 1 every 6 s. */
  readonly perAddressThrottle?: ThrottlePolicy;
}

export type ResolvedBookOptions = Required<Omit<BookOptions, 'argon2'>> & { readonly argon2: Argon2Params };

export function resolveBookOptions(options: BookOptions = {}): ResolvedBookOptions {
  return {
    argon2: checkArgon2Params({ ...OWASP_ARGON2ID, ...options.argon2 }),
    maxConcurrentHashes: options.maxConcurrentHashes ?? 2,
    sessionTtlMs: options.sessionTtlMs ?? 15 * 60_000,
    pendingTtlMs: options.pendingTtlMs ?? 60 * 60_000,
    perUserThrottle: options.perUserThrottle ?? { burst: 5, refillMs: 60_000 },
    perAddressThrottle: options.perAddressThrottle ?? { burst: 20, refillMs: 6_000 },
  };
}
