import type { Clock } from '../clock/clock.ts';
import type { IdSource } from '../ids/ids.ts';
import type { RandomSource } from '../random/random.ts';
import type { Secret } from '../secret/secret.ts';
import type { BookMessageType, BookRequest, BookRequestOf, BookResults } from './book-messages.ts';
import type { EntryRef } from './book-entries.ts';
import { BookEntryOperations } from './book-entry-operations.ts';
import { splitWholeBook } from './book-migration.ts';
import { bookWrites, isWholeBook, type BookRecords, type StoredUserRecord } from './book-records.ts';
import {
  EntryExistsError,
  LoginFailedError,
  LoginThrottledError,
  NoPendingPasswordError,
  SessionInvalidError,
  UsernameTakenError,
  WeakMasterPasswordError,
} from './errors.ts';
import { BookInbox } from './book-inbox.ts';
import { DeviceTokens } from './device-tokens.ts';
import { KeyedLock } from '../concurrency/keyed-lock.ts';
import type { LoginAttempt, LoginThrottle } from './login-throttle.ts';
import type { PasswordHasher } from './password-hasher.ts';
import { KEY_BYTES } from './sealed-box.ts';
import { checkCredentials, UserCredentials } from './user-credentials.ts';
import type { Session, SessionTable } from './session-table.ts';

/** Shortest master password accepted for a new book (NIST SP 800-63B's minimum). */
export const MIN_MASTER_PASSWORD_LENGTH = 8;

/** Who is asking: logins from unknown devices are throttled per client address. */
export interface BookClient {
  readonly address: string;
}

export interface PasswordBookDeps {
  readonly records: BookRecords;
  readonly hasher: PasswordHasher;
  readonly sessions: SessionTable;
  readonly throttle: LoginThrottle;
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly random: RandomSource;
  readonly serviceKey: Buffer;
  /** How long a generated password waits in the inbox before it is dropped. */
  readonly pendingTtlMs: number;
}

const PENDING_LOCK = '\0pending';

/**
 * The password book: users with master passwords, each with a book of named
 * passwords encrypted under their own data key, and an inbox of generated
 * passwords waiting to be filed. It sees typed requests only; the dialect and
 * the transport are someone else's business.
 *
 * @example
 * await book.handle({ type: 'user.register', username: 'ann', masterPassword: new Secret('correct horse') }, { address: 'local' });
 */
export class PasswordBook {
  readonly #deps: PasswordBookDeps;
  readonly #locks = new KeyedLock();
  readonly #deviceTokens: DeviceTokens;
  readonly #inbox: BookInbox;
  readonly #userCredentials: UserCredentials;
  readonly #entries: BookEntryOperations;

  constructor(deps: PasswordBookDeps) {
    this.#deps = deps;
    this.#entries = new BookEntryOperations({ records: deps.records, clock: deps.clock, ids: deps.ids, random: deps.random, locks: this.#locks });
    this.#deviceTokens = new DeviceTokens(deps.serviceKey, deps.random);
    this.#inbox = new BookInbox(deps);
    this.#userCredentials = new UserCredentials(deps.hasher, deps.random);
  }

  handle<T extends BookMessageType>(request: BookRequestOf<T>, client: BookClient): Promise<BookResults[T]>;
  // async: a refusal (an invalid session, say) is always a rejected promise, never a synchronous throw.
  async handle(request: BookRequest, client: BookClient): Promise<BookResults[BookMessageType]> {
    switch (request.type) {
      case 'user.register':
        return this.#register(request.username, request.masterPassword, client);
      case 'session.login':
        return this.#login(request, client);
      case 'session.logout':
        this.#deps.sessions.close(request.token);
        return {};
      case 'user.change_password':
        return this.#changePassword(request);
      case 'entry.add':
        return this.#entries.add(this.#deps.sessions.require(request.token), request.name, request.password.reveal());
      case 'entry.list':
        return this.#entries.list(this.#deps.sessions.require(request.token));
      case 'entry.get':
        return this.#entries.get(this.#deps.sessions.require(request.token), request.name);
      case 'entry.rename':
        return this.#entries.rename(this.#deps.sessions.require(request.token), request.name, request.newName);
      case 'entry.delete':
        return this.#entries.delete(this.#deps.sessions.require(request.token), entryRef(request));
      case 'pending.add':
        return this.#addPending(request);
      case 'pending.list':
        return this.#listPending(this.#deps.sessions.require(request.token));
      case 'pending.file':
        return this.#filePending(this.#deps.sessions.require(request.token), request.name, request.pendingId);
      case 'users.count':
        return this.#deps.records.userCount().then((count) => ({ count }));
      case 'users.list':
        return this.#deps.records.usernames().then((names) => ({ users: names.sort().map((username) => ({ username })) }));
    }
  }

  /**
   * Draws on no login budget: a registration guesses nothing. It has a budget of its own per address, which
   * only successful ones spend, since each costs an Argon2id hash and a stored record; the ones that fail (a
   * taken name, a weak password) fail before any hash and tell nothing `check_users` does not.
   */
  async #register(username: string, masterPassword: Secret, client: BookClient): Promise<BookResults['user.register']> {
    checkStrength(masterPassword);
    const { records, random, clock } = this.#deps;
    const attempt = this.#throttle({ kind: 'registration', address: client.address });
    // Only a registration that succeeds spends the budget.
    const registered = this.#locks.run(username, async () => {
      if (await records.user(username)) throw new UsernameTakenError(`The username '${username}' is taken`);
      const dataKey = random.bytes(KEY_BYTES);
      try {
        await records.saveUser({
          format: 'safekeep.book.user',
          version: 2,
          createdAt: clock.now(),
          ...(await this.#userCredentials.fresh(username, masterPassword.reveal(), dataKey)),
        });
      } finally {
        dataKey.fill(0);
      }
      return { username };
    });
    registered.catch(() => attempt.refund());
    return registered;
  }

  async #login(request: BookRequestOf<'session.login'>, client: BookClient): Promise<BookResults['session.login']> {
    const { username, masterPassword } = request;
    // A token that is garbled, forged or another user's is no token: the login is an unknown device's.
    const device = this.#deviceTokens.deviceOf(username, request.deviceToken);
    const attempt = this.#throttle(device !== null ? { kind: 'known-device', username, device } : { kind: 'unknown-device', username, address: client.address });
    const { hasher, records, sessions } = this.#deps;
    const password = masterPassword.reveal();
    const record = await records.user(username);
    if (record) checkCredentials(username, record);
    // An unknown user costs one hash, like a wrong password, and gets the same reply.
    const valid = record ? await hasher.verify(record.passwordHash, password) : await hasher.verifyDecoy(password);
    if (!record || !valid) throw new LoginFailedError('Wrong username or master password');
    const dataKey = await this.#userCredentials.unwrap(record, password);
    if (isWholeBook(record)) await this.#splitWholeBook(username, dataKey);
    if (hasher.needsRehash(record.passwordHash)) await this.#rehash(username, password, dataKey, record.passwordHash);
    attempt.refund();
    // A valid token is handed back as it is: the device keeps one identity, and its budget, for good.
    const deviceToken = device !== null && request.deviceToken ? request.deviceToken : this.#deviceTokens.issue(username);
    return { ...sessions.open(username, dataKey), deviceToken };
  }

  async #changePassword(request: BookRequestOf<'user.change_password'>): Promise<BookResults['user.change_password']> {
    const session = this.#deps.sessions.require(request.token);
    checkStrength(request.newMasterPassword);
    // Its own session's budget: the session already proves who this is, and no one else can use it up.
    const attempt = this.#throttle({ kind: 'session', session: session.id });
    const { hasher, records, sessions } = this.#deps;
    await this.#locks.run(session.username, async () => {
      let record = await this.#userOf(session);
      checkCredentials(session.username, record);
      if (isWholeBook(record)) {
        // Only a login makes a session, and it splits the book first; this is for a record put back from a backup meanwhile.
        await records.write(splitWholeBook(session.dataKey, record));
        record = await this.#userOf(session);
        if (isWholeBook(record)) throw new SessionInvalidError('The session’s user record changed; log in again');
      }
      if (!(await hasher.verify(record.passwordHash, request.masterPassword.reveal()))) {
        throw new LoginFailedError('Wrong master password');
      }
      // The data key stays; only its wrapping changes, so no entry is re-encrypted.
      await records.saveUser({ ...record, ...(await this.#userCredentials.fresh(session.username, request.newMasterPassword.reveal(), session.dataKey)) });
    });
    attempt.refund();
    sessions.closeOthers(session.username, request.token);
    return {};
  }

  async #addPending(request: BookRequestOf<'pending.add'>): Promise<BookResults['pending.add']> {
    // With a live session and a free name, straight into that book; otherwise (no token, an expired one, a
    // taken name) into the inbox, so the generated password is never lost.
    if (request.token && request.name) {
      const session = this.#sessionOrNull(request.token);
      if (session) {
        const name = request.name;
        const filed = await this.#entries.add(session, name, request.password.reveal()).then(
          () => true,
          (error: unknown) => {
            if (error instanceof EntryExistsError) return false;
            throw error;
          },
        );
        if (filed) return { filedIn: 'book', name };
      }
    }
    return { filedIn: 'inbox', pendingId: await this.#inbox.put(request.password.reveal()) };
  }

  async #listPending(_session: Session): Promise<BookResults['pending.list']> {
    const { intact, damaged } = await this.#inbox.live();
    return {
      pending: intact.map(({ pendingId, receivedAt }) => ({ pendingId, receivedAt: receivedAt as number })),
      damaged: damaged.map(({ pendingId, receivedAt }) => ({ pendingId, receivedAt })),
    };
  }

  #filePending(session: Session, name: string, pendingId: string | undefined): Promise<BookResults['pending.file']> {
    return this.#locks.run(PENDING_LOCK, async () => {
      const { intact, damaged } = await this.#inbox.live();
      // The newest intact one by default; a damaged one only when named, to say plainly that it cannot be opened.
      const chosen = pendingId === undefined ? intact[0] : [...intact, ...damaged].find((record) => record.pendingId === pendingId);
      if (!chosen) throw new NoPendingPasswordError(pendingId === undefined ? 'No generated password is waiting' : `No generated password '${pendingId}' is waiting`);
      const password = this.#inbox.open(chosen);
      // Filed and removed in one batch: a crash leaves it in the inbox or in the book, never both, never neither.
      await this.#locks.run(session.username, async () => {
        await this.#entries.addEntry(session, name, password, [bookWrites.deletePending(chosen.pendingId)]);
      });
      return { name };
    });
  }

  #throttle(attempt: LoginAttempt): { refund: () => void } {
    const verdict = this.#deps.throttle.attempt(attempt);
    if (!verdict.allowed) {
      throw new LoginThrottledError(`Too many attempts; try again in ${Math.ceil(verdict.retryAfterMs / 1000)} s`);
    }
    return verdict;
  }

  #sessionOrNull(token: Secret): Session | null {
    try {
      return this.#deps.sessions.require(token);
    } catch (error) {
      if (error instanceof SessionInvalidError) return null;
      throw error;
    }
  }

  async #userOf(session: Session): Promise<StoredUserRecord> {
    const record = await this.#deps.records.user(session.username);
    if (!record) throw new SessionInvalidError('The session’s user no longer exists');
    return record;
  }

  /**
   * A version-1 user document is split at login, in one batch, under the
   * user's lock; read again inside it, since another login may have split it.
   */
  async #splitWholeBook(username: string, dataKey: Buffer): Promise<void> {
    await this.#locks.run(username, async () => {
      const record = await this.#deps.records.user(username);
      if (record && isWholeBook(record)) await this.#deps.records.write(splitWholeBook(dataKey, record));
    });
  }

  /**
   * After a login with weaker-than-current parameters: hash and wrap again at today's cost. Only if the hash
   * the login verified is still the stored one: a change of master password that landed meanwhile would
   * otherwise be undone, its new password replaced by the old one this login proved.
   */
  async #rehash(username: string, password: string, dataKey: Buffer, verifiedHash: string): Promise<void> {
    await this.#locks.run(username, async () => {
      const record = await this.#deps.records.user(username);
      if (!record || isWholeBook(record) || record.passwordHash !== verifiedHash) return;
      await this.#deps.records.saveUser({ ...record, ...(await this.#userCredentials.fresh(username, password, dataKey)) });
    });
  }
}

function checkStrength(masterPassword: Secret): void {
  if (masterPassword.length < MIN_MASTER_PASSWORD_LENGTH) {
    throw new WeakMasterPasswordError(`A master password needs at least ${MIN_MASTER_PASSWORD_LENGTH} characters`);
  }
}

function entryRef(request: BookRequestOf<'entry.delete'>): EntryRef {
  // The validator has checked that exactly one of the two is there (`oneOf` in its declaration).
  return request.entryId !== undefined ? { entryId: request.entryId } : { name: request.name ?? '' };
}
