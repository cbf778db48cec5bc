import type { ThrottlePolicy } from './token-buckets.ts';
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
  /** Logins from a known device (a valid device token), per device: its own budget, which no one else's failures touch. Default 5 at once, then 1 a minute. */
  readonly knownDeviceThrottle?: ThrottlePolicy;
  /** Logins from unknown devices, per account and client address. Default 5 at once, then 1 every 12 s (5 a minute). */
  readonly unknownDeviceThrottle?: ThrottlePolicy;
  /** Logins from unknown devices, per account from all addresses: bounds an attacker's guesses however many addresses they use. Default 100 at once, then 1 every 36 s (100 an hour). */
  readonly perAccountThrottle?: ThrottlePolicy;
  /** Logins from unknown devices, per client address across accounts (against credential stuffing). Default 20 at once, then 1 every 6 s. */
  readonly perAddressThrottle?: ThrottlePolicy;
  /** Master-password checks inside a session (`user.change_password`), per session. Default 5 at once, then 1 a minute. */
  readonly changePasswordThrottle?: ThrottlePolicy;
  /**
   * New users per client address: their own budget, which no login draws on (a registration guesses nothing, but
   * each one costs an Argon2id hash and a stored record, so a flood of them would crowd out everyone's logins).
   * Only successful registrations spend it. Default 100 at once, then 1 every 36 s (100 an hour).
   */
  readonly registrationThrottle?: ThrottlePolicy;
}

export type ResolvedBookOptions = Required<Omit<BookOptions, 'argon2'>> & { readonly argon2: Argon2Params };

export function resolveBookOptions(options: BookOptions = {}): ResolvedBookOptions {
  return {
    argon2: checkArgon2Params({ ...OWASP_ARGON2ID, ...options.argon2 }),
    maxConcurrentHashes: options.maxConcurrentHashes ?? 2,
    sessionTtlMs: options.sessionTtlMs ?? 15 * 60_000,
    pendingTtlMs: options.pendingTtlMs ?? 60 * 60_000,
    knownDeviceThrottle: options.knownDeviceThrottle ?? { burst: 5, refillMs: 60_000 },
    unknownDeviceThrottle: options.unknownDeviceThrottle ?? { burst: 5, refillMs: 12_000 },
    perAccountThrottle: options.perAccountThrottle ?? { burst: 100, refillMs: 36_000 },
    perAddressThrottle: options.perAddressThrottle ?? { burst: 20, refillMs: 6_000 },
    changePasswordThrottle: options.changePasswordThrottle ?? { burst: 5, refillMs: 60_000 },
    registrationThrottle: options.registrationThrottle ?? { burst: 100, refillMs: 36_000 },
  };
}
