import type { Clock } from '../clock/clock.ts';
import type { IdSource } from '../ids/ids.ts';
import type { RandomSource } from '../random/random.ts';
import type { StoreClient } from '../store/store-client.ts';
import type { ResolvedBookOptions } from './book-options.ts';
import { BookRecords } from './book-records.ts';
import { LoginThrottle } from './login-throttle.ts';
import { PasswordBook } from './password-book.ts';
import { PasswordHasher } from './password-hasher.ts';
import { loadServiceKey } from './service-key.ts';
import { SessionTable } from './session-table.ts';

/** Assembles the password book over the store: loads (or makes) the service key, sets up hashing, sessions and throttling. */
export async function openPasswordBook(deps: {
  store: StoreClient;
  dataDir: string;
  clock: Clock;
  ids: IdSource;
  random: RandomSource;
  options: ResolvedBookOptions;
  /** Where the service key comes from; default `<dataDir>/keys/service.key`, made on first use. */
  loadServiceKey?: () => Promise<Buffer>;
  /** Wraps the hasher (a recording logs when each hash comes back). */
  wrapHasher?: (hasher: PasswordHasher) => PasswordHasher;
  /** A hasher made earlier (see `startPasswordHasher`); default a new one from `options`. */
  hasher?: PasswordHasher;
}): Promise<PasswordBook> {
  const { store, dataDir, clock, ids, random, options } = deps;
  const plainHasher = deps.hasher ?? newPasswordHasher(options, random);
  const hasher = deps.wrapHasher ? deps.wrapHasher(plainHasher) : plainHasher;
  await hasher.prepareDecoy();
  const serviceKey = await (deps.loadServiceKey ?? (() => loadServiceKey(dataDir, random)))();
  return new PasswordBook({
    records: new BookRecords(store),
    hasher,
    sessions: new SessionTable({ clock, random, ttlMs: options.sessionTtlMs }),
    throttle: new LoginThrottle(clock, {
      knownDevice: options.knownDeviceThrottle,
      unknownDevice: options.unknownDeviceThrottle,
      perAccount: options.perAccountThrottle,
      perAddress: options.perAddressThrottle,
      perSession: options.changePasswordThrottle,
      registration: options.registrationThrottle,
    }),
    clock,
    ids,
    random,
    serviceKey,
    pendingTtlMs: options.pendingTtlMs,
  });
}

function newPasswordHasher(options: ResolvedBookOptions, random: RandomSource): PasswordHasher {
  return new PasswordHasher({ params: options.argon2, random, maxConcurrent: options.maxConcurrentHashes });
}

/**
 * A hasher that has already begun its decoy hash (tens of milliseconds of
 * Argon2id on the thread pool), for `openPasswordBook`'s `hasher`: made at
 * the start of a host's start, the decoy is computed while the store opens
 * rather than after it. The book still waits for the decoy before it
 * answers anything; a failure of it surfaces there.
 *
 * @example
 * const hasher = startPasswordHasher(resolveBookOptions({}), cryptoRandom);
 * // … open the store …
 * const book = await openPasswordBook({ store, dataDir, clock, ids, random: cryptoRandom, options, hasher });
 */
export function startPasswordHasher(options: ResolvedBookOptions, random: RandomSource): PasswordHasher {
  const hasher = newPasswordHasher(options, random);
  hasher.prepareDecoy().catch(() => undefined);
  return hasher;
}
