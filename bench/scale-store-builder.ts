import { openStore } from '../test/helpers/open-store.ts';
import { withCredentialsDigest, withEntryDocumentDigest } from '../src/book/book-digests.ts';
import { sealEntry } from '../src/book/book-entries.ts';
import { bookWrites, entryKey, type EntryDocument, type UserRecord } from '../src/book/book-records.ts';
import { OWASP_ARGON2ID, PasswordHasher } from '../src/book/password-hasher.ts';
import { KEY_BYTES } from '../src/book/sealed-box.ts';
import { UserCredentials } from '../src/book/user-credentials.ts';
import { cryptoRandom } from '../src/random/random.ts';
import { cachedRecords, type BenchUser } from './cached-records.ts';

/** Every bench user's master password: each still gets its own salt, hash and data key. */
export const BENCH_MASTER_PASSWORD = 'bench master password';

/** Entries in each user's book. */
const ENTRIES_PER_USER = 3;

/** Puts in flight at once while filling: large groups, so the store's flushes carry many documents each. */
const PUT_GROUP = 10_000;

export interface ScaleStore {
  /** Sorted, as `check_users` lists them. */
  readonly usernames: readonly string[];
  /** Users with real credentials, who can log in with BENCH_MASTER_PASSWORD. */
  readonly loginUsers: readonly string[];
  /** The JSON size of one sealed entry record, what an `entry.add` adds to the store. */
  readonly entryRecordBytes: number;
  readonly buildMs: number;
  readonly credentialsMs: number;
}

export const benchUsername = (index: number): string => `user${String(index).padStart(6, '0')}`;

/**
 * Fills `dataDir` with `users` password-book users of a few entries each,
 * through the store contract (`LowdbStore` and `StoreClient` in this process,
 * puts in large concurrent groups), as the book itself would have written
 * them: not through registrations, whose Argon2id hashes would take hours.
 *
 * The first `loginUsers` are made with the book's own code (UserCredentials at
 * the cheapest Argon2id the book accepts, sealEntry), so they log in for real.
 * The rest share the first one's hash and wrapped key under their own
 * username and credentials digest: they are counted and listed, never opened.
 */
export async function buildScaleStore(dataDir: string, options: { users: number; loginUsers: number; now: number }): Promise<ScaleStore> {
  const credentialsStarted = performance.now();
  const loginUsers = Array.from({ length: Math.min(options.loginUsers, options.users) }, (_, index) => benchUsername(index));
  const loginRecords = await cachedRecords(loginUsers.length, () => realUsers(loginUsers, options.now));
  const credentialsMs = performance.now() - credentialsStarted;
  const template = loginRecords[0] as BenchUser;

  const started = performance.now();
  const { client, close } = await openStore(dataDir);
  try {
    for (let from = 0; from < options.users; from += PUT_GROUP) {
      const to = Math.min(options.users, from + PUT_GROUP);
      const group: Promise<void>[] = [];
      for (let index = from; index < to; index++) {
        const user = loginRecords[index] ?? fillerUser(template, benchUsername(index));
        group.push(client.batch([bookWrites.putUser(user.record), ...user.entries.map(({ key, document }) => bookWrites.putEntry(key, document))]));
      }
      await Promise.all(group);
    }
  } finally {
    await close();
  }
  const entry = (template.entries[0] as { document: EntryDocument }).document;
  return {
    usernames: Array.from({ length: options.users }, (_, index) => benchUsername(index)),
    loginUsers,
    entryRecordBytes: JSON.stringify(entry).length,
    buildMs: performance.now() - started,
    credentialsMs,
  };
}

/** Users with real credentials, two at a time (the book's own default): each is two Argon2id passes on the thread pool. */
async function realUsers(usernames: readonly string[], now: number): Promise<BenchUser[]> {
  const hasher = new PasswordHasher({ params: OWASP_ARGON2ID, random: cryptoRandom, maxConcurrent: 2 });
  const credentials = new UserCredentials(hasher, cryptoRandom);
  const records: BenchUser[] = [];
  for (let index = 0; index < usernames.length; index += 2) {
    records.push(...(await Promise.all(usernames.slice(index, index + 2).map((username) => realUser(credentials, username, now)))));
  }
  return records;
}

/** A user as registration and `entry.add` would have left it: real credentials, entries sealed under its own data key. */
async function realUser(credentials: UserCredentials, username: string, now: number): Promise<BenchUser> {
  const dataKey = cryptoRandom.bytes(KEY_BYTES);
  try {
    const entries = Array.from({ length: ENTRIES_PER_USER }, (_, index) =>
      sealEntry(dataKey, username, `entry-${index + 1}`, { name: `site ${index + 1}`, password: `generated password ${index + 1} of ${username}` }, { createdAt: now, updatedAt: now }, cryptoRandom),
    );
    const record: UserRecord = { format: 'safekeep.book.user', version: 2, createdAt: now, ...(await credentials.fresh(username, BENCH_MASTER_PASSWORD, dataKey)), entriesAdded: ENTRIES_PER_USER };
    return { record, entries };
  } finally {
    dataKey.fill(0);
  }
}

/**
 * The template's credentials and entries under another name, with that name's
 * digests, so the offline check finds them whole (their boxes stay bound to
 * the template's name: filler users are never opened).
 */
function fillerUser(template: BenchUser, username: string): BenchUser {
  return {
    record: withCredentialsDigest({ ...template.record, username }),
    entries: template.entries.map(({ document: { entryDigest: _old, ...entry } }) => ({ key: entryKey(username, entry.nameTag), document: withEntryDocumentDigest(username, entry) })),
  };
}
