import type { Clock } from '../clock/clock.ts';
import type { IdSource } from '../ids/ids.ts';
import type { RandomSource } from '../random/random.ts';
import { Secret } from '../secret/secret.ts';
import type { BookMessageType, BookRequest, BookRequestOf, BookResults } from './book-messages.ts';
import type { BookRecords, EntryRecord, PendingRecord, UserRecord } from './book-records.ts';
import {
  EntryExistsError,
  EntryNotFoundError,
  LoginFailedError,
  LoginThrottledError,
  NoPendingPasswordError,
  SessionInvalidError,
  UsernameTakenError,
  WeakMasterPasswordError,
} from './errors.ts';
import { KeyedLock } from './keyed-lock.ts';
import type { LoginThrottle } from './login-throttle.ts';
import type { PasswordHasher } from './password-hasher.ts';
import { KEY_BYTES, open, seal } from './sealed-box.ts';
import type { Session, SessionTable } from './session-table.ts';

/** Shortest master password accepted for a new book (NIST SP 800-63B's minimum). */
export const MIN_MASTER_PASSWORD_LENGTH = 8;

/** Who is asking: the throttle counts attempts per client address. */
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

interface OpenEntry {
  readonly entryId: string;
  readonly name: string;
  readonly password: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

// What each ciphertext is bound to: moved to another user, entry or purpose, it fails to open.
const dataKeyContext = (username: string) => `safekeep.book.data-key.v1\0${username}`;
const entryContext = (username: string, entryId: string) => `safekeep.book.entry.v1\0${username}\0${entryId}`;
const pendingContext = (pendingId: string) => `safekeep.book.pending.v1\0${pendingId}`;

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

  constructor(deps: PasswordBookDeps) {
    this.#deps = deps;
  }

  handle<T extends BookMessageType>(request: BookRequestOf<T>, client: BookClient): Promise<BookResults[T]>;
  // async: a refusal (an invalid session, say) is always a rejected promise, never a synchronous throw.
  async handle(request: BookRequest, client: BookClient): Promise<BookResults[BookMessageType]> {
    switch (request.type) {
      case 'user.register':
        return this.#register(request.username, request.masterPassword, client);
      case 'session.login':
        return this.#login(request.username, request.masterPassword, client);
      case 'session.logout':
        this.#deps.sessions.close(request.token);
        return {};
      case 'user.change_password':
        return this.#changePassword(request, client);
      case 'entry.add':
        return this.#addEntry(this.#deps.sessions.require(request.token), request.name, request.password.reveal());
      case 'entry.list':
        return this.#listEntries(this.#deps.sessions.require(request.token));
      case 'entry.get':
        return this.#getEntry(this.#deps.sessions.require(request.token), request.name);
      case 'entry.rename':
        return this.#renameEntry(this.#deps.sessions.require(request.token), request.name, request.newName);
      case 'entry.delete':
        return this.#deleteEntry(this.#deps.sessions.require(request.token), request.name);
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

  async #register(username: string, masterPassword: Secret, client: BookClient): Promise<BookResults['user.register']> {
    checkStrength(masterPassword);
    this.#throttle(username, client);
    const { records, random, clock } = this.#deps;
    return this.#locks.run(username, async () => {
      if (await records.user(username)) throw new UsernameTakenError(`The username '${username}' is taken`);
      const dataKey = random.bytes(KEY_BYTES);
      try {
        await records.saveUser({
          format: 'safekeep.book.user',
          version: 1,
          username,
          createdAt: clock.now(),
          ...(await this.#credentials(username, masterPassword.reveal(), dataKey)),
          entries: {},
        });
      } finally {
        dataKey.fill(0);
      }
      this.#deps.throttle.refund(username, client.address);
      return { username };
    });
  }

  async #login(username: string, masterPassword: Secret, client: BookClient): Promise<BookResults['session.login']> {
    this.#throttle(username, client);
    const { hasher, records, sessions } = this.#deps;
    const password = masterPassword.reveal();
    const record = await records.user(username);
    // An unknown user costs one hash, like a wrong password, and gets the same reply.
    const valid = record ? await hasher.verify(record.passwordHash, password) : await hasher.verifyDecoy(password);
    if (!record || !valid) throw new LoginFailedError('Wrong username or master password');
    const dataKey = await this.#unwrapDataKey(record, password);
    if (hasher.needsRehash(record.passwordHash)) await this.#rehash(username, password, dataKey);
    this.#deps.throttle.refund(username, client.address);
    return sessions.open(username, dataKey);
  }

  async #changePassword(request: BookRequestOf<'user.change_password'>, client: BookClient): Promise<BookResults['user.change_password']> {
    const session = this.#deps.sessions.require(request.token);
    checkStrength(request.newMasterPassword);
    this.#throttle(session.username, client);
    const { hasher, records, sessions } = this.#deps;
    await this.#locks.run(session.username, async () => {
      const record = await this.#userOf(session);
      if (!(await hasher.verify(record.passwordHash, request.masterPassword.reveal()))) {
        throw new LoginFailedError('Wrong master password');
      }
      // The data key stays; only its wrapping changes, so no entry is re-encrypted.
      await records.saveUser({ ...record, ...(await this.#credentials(session.username, request.newMasterPassword.reveal(), session.dataKey)) });
    });
    this.#deps.throttle.refund(session.username, client.address);
    sessions.closeOthers(session.username, request.token);
    return {};
  }

  #addEntry(session: Session, name: string, password: string): Promise<BookResults['entry.add']> {
    return this.#changeEntries(session, (entries, record) => {
      if (entries.some((entry) => entry.name === name)) throw new EntryExistsError(`The book already has an entry '${name}'`);
      const now = this.#deps.clock.now();
      // Ids are unique per process; a book outlives processes (and tests and replays count from 1), so check.
      let entryId = this.#deps.ids.next('entry');
      while (Object.hasOwn(record.entries, entryId)) entryId = this.#deps.ids.next('entry');
      return { ...record.entries, [entryId]: this.#sealEntry(session, entryId, { name, password }, now, now) };
    }).then(() => ({ name }));
  }

  async #listEntries(session: Session): Promise<BookResults['entry.list']> {
    const entries = this.#openEntries(session, await this.#userOf(session));
    return {
      entries: entries
        .map(({ name, createdAt, updatedAt }) => ({ name, createdAt, updatedAt }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    };
  }

  async #getEntry(session: Session, name: string): Promise<BookResults['entry.get']> {
    const entry = findEntry(this.#openEntries(session, await this.#userOf(session)), name);
    return { name: entry.name, password: new Secret(entry.password), createdAt: entry.createdAt, updatedAt: entry.updatedAt };
  }

  #renameEntry(session: Session, name: string, newName: string): Promise<BookResults['entry.rename']> {
    return this.#changeEntries(session, (entries, record) => {
      const entry = findEntry(entries, name);
      if (newName !== name && entries.some((other) => other.name === newName)) {
        throw new EntryExistsError(`The book already has an entry '${newName}'`);
      }
      const sealed = this.#sealEntry(session, entry.entryId, { name: newName, password: entry.password }, entry.createdAt, this.#deps.clock.now());
      return { ...record.entries, [entry.entryId]: sealed };
    }).then(() => ({ name: newName }));
  }

  #deleteEntry(session: Session, name: string): Promise<BookResults['entry.delete']> {
    return this.#changeEntries(session, (entries, record) => {
      const { entryId } = findEntry(entries, name);
      const { [entryId]: _deleted, ...rest } = record.entries;
      return rest;
    }).then(() => ({}));
  }

  async #addPending(request: BookRequestOf<'pending.add'>): Promise<BookResults['pending.add']> {
    // With a live session and a free name, straight into that book; otherwise (no token, an expired one, a
    // taken name) into the inbox, so the generated password is never lost.
    if (request.token && request.name) {
      const session = this.#sessionOrNull(request.token);
      if (session) {
        const name = request.name;
        const filed = await this.#addEntry(session, name, request.password.reveal()).then(
          () => true,
          (error: unknown) => {
            if (error instanceof EntryExistsError) return false;
            throw error;
          },
        );
        if (filed) return { filedIn: 'book', name };
      }
    }
    const { ids, clock, random, serviceKey, records } = this.#deps;
    let pendingId = ids.next('pending');
    while (await records.hasPending(pendingId)) pendingId = ids.next('pending');
    const sealed = seal(serviceKey, Buffer.from(request.password.reveal(), 'utf8'), pendingContext(pendingId), random);
    await records.savePending({ pendingId, receivedAt: clock.now(), sealed });
    return { filedIn: 'inbox', pendingId };
  }

  async #listPending(_session: Session): Promise<BookResults['pending.list']> {
    const pending = await this.#livePending();
    return { pending: pending.map(({ pendingId, receivedAt }) => ({ pendingId, receivedAt })) };
  }

  #filePending(session: Session, name: string, pendingId: string | undefined): Promise<BookResults['pending.file']> {
    return this.#locks.run(PENDING_LOCK, async () => {
      const pending = await this.#livePending();
      const chosen = pendingId === undefined ? pending[0] : pending.find((record) => record.pendingId === pendingId);
      if (!chosen) throw new NoPendingPasswordError(pendingId === undefined ? 'No generated password is waiting' : `No generated password '${pendingId}' is waiting`);
      const password = open(this.#deps.serviceKey, chosen.sealed, pendingContext(chosen.pendingId)).toString('utf8');
      await this.#addEntry(session, name, password);
      // Filed first, removed after: a crash in between leaves a copy in the inbox, never a lost password.
      await this.#deps.records.deletePending(chosen.pendingId);
      return { name };
    });
  }

  /** Inbox records not yet expired, newest first; expired ones are deleted on the way. */
  async #livePending(): Promise<PendingRecord[]> {
    const { clock, records, pendingTtlMs } = this.#deps;
    const oldest = clock.now() - pendingTtlMs;
    const all = await records.pending();
    await Promise.all(all.filter((record) => record.receivedAt < oldest).map((record) => records.deletePending(record.pendingId)));
    return all.filter((record) => record.receivedAt >= oldest).sort((a, b) => b.receivedAt - a.receivedAt || (a.pendingId < b.pendingId ? 1 : -1));
  }

  #throttle(username: string, client: BookClient): void {
    const verdict = this.#deps.throttle.attempt(username, client.address);
    if (!verdict.allowed) {
      throw new LoginThrottledError(`Too many attempts; try again in ${Math.ceil(verdict.retryAfterMs / 1000)} s`);
    }
  }

  #sessionOrNull(token: Secret): Session | null {
    try {
      return this.#deps.sessions.require(token);
    } catch (error) {
      if (error instanceof SessionInvalidError) return null;
      throw error;
    }
  }

  async #userOf(session: Session): Promise<UserRecord> {
    const record = await this.#deps.records.user(session.username);
    if (!record) throw new SessionInvalidError('The session’s user no longer exists');
    return record;
  }

  /** Reads the user's entries, lets `change` compute the new set, and writes it back, one change per user at a time. */
  #changeEntries(
    session: Session,
    change: (entries: OpenEntry[], record: UserRecord) => Readonly<Record<string, EntryRecord>>,
  ): Promise<void> {
    return this.#locks.run(session.username, async () => {
      const record = await this.#userOf(session);
      const entries = change(this.#openEntries(session, record), record);
      await this.#deps.records.saveUser({ ...record, entries });
    });
  }

  #openEntries(session: Session, record: UserRecord): OpenEntry[] {
    return Object.entries(record.entries).map(([entryId, entry]) => {
      const plain = JSON.parse(open(session.dataKey, entry.sealed, entryContext(session.username, entryId)).toString('utf8')) as {
        name: string;
        password: string;
      };
      return { entryId, name: plain.name, password: plain.password, createdAt: entry.createdAt, updatedAt: entry.updatedAt };
    });
  }

  #sealEntry(session: Session, entryId: string, plain: { name: string; password: string }, createdAt: number, updatedAt: number): EntryRecord {
    const sealed = seal(session.dataKey, Buffer.from(JSON.stringify(plain), 'utf8'), entryContext(session.username, entryId), this.#deps.random);
    return { sealed, createdAt, updatedAt };
  }

  /** A fresh hash, salt and wrapping of `dataKey` for `password`, with the current parameters. */
  async #credentials(username: string, password: string, dataKey: Buffer): Promise<Pick<UserRecord, 'passwordHash' | 'keyDerivation' | 'wrappedKey'>> {
    const { hasher, random } = this.#deps;
    const salt = hasher.newSalt();
    const [passwordHash, wrappingKey] = await Promise.all([hasher.hash(password), hasher.deriveKey(password, salt, hasher.params)]);
    try {
      return {
        passwordHash,
        keyDerivation: { ...hasher.params, salt: salt.toString('base64') },
        wrappedKey: seal(wrappingKey, dataKey, dataKeyContext(username), random),
      };
    } finally {
      wrappingKey.fill(0);
    }
  }

  async #unwrapDataKey(record: UserRecord, password: string): Promise<Buffer> {
    const { salt, memoryCost, timeCost, parallelism } = record.keyDerivation;
    const wrappingKey = await this.#deps.hasher.deriveKey(password, Buffer.from(salt, 'base64'), { memoryCost, timeCost, parallelism });
    try {
      return open(wrappingKey, record.wrappedKey, dataKeyContext(record.username));
    } finally {
      wrappingKey.fill(0);
    }
  }

  /** After a login with weaker-than-current parameters: hash and wrap again at today's cost. */
  async #rehash(username: string, password: string, dataKey: Buffer): Promise<void> {
    await this.#locks.run(username, async () => {
      const record = await this.#deps.records.user(username);
      if (!record) return;
      await this.#deps.records.saveUser({ ...record, ...(await this.#credentials(username, password, dataKey)) });
    });
  }
}

function checkStrength(masterPassword: Secret): void {
  if (masterPassword.length < MIN_MASTER_PASSWORD_LENGTH) {
    throw new WeakMasterPasswordError(`A master password needs at least ${MIN_MASTER_PASSWORD_LENGTH} characters`);
  }
}

function findEntry(entries: readonly OpenEntry[], name: string): OpenEntry {
  const entry = entries.find((candidate) => candidate.name === name);
  if (!entry) throw new EntryNotFoundError(`The book has no entry '${name}'`);
  return entry;
}
