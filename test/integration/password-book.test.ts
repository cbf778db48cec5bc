import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from '../helpers/temp-dir.ts';
import { startTestHost } from '../helpers/host-harness.ts';
import { JsonClient } from '../helpers/json-client.ts';
import type { HostOptions } from '../../src/host/host-options.ts';
import { resolveBookOptions } from '../../src/book/book-options.ts';
import { BOOK_MESSAGES } from '../../src/book/book-messages.ts';
import { storedCollection } from '../helpers/stored-collection.ts';

const MINUTE = 60_000;
const ANN = { username: 'ann', masterPassword: 'correct horse battery' };

async function bookHost(dataDir: string, options: Partial<HostOptions> = {}) {
  // A day of idle time: tests advance the clock past session lifetimes with the connection still open.
  const { host, clock } = await startTestHost(dataDir, { socket: { host: '127.0.0.1', port: 0, idleTimeoutMs: 24 * 60 * MINUTE }, ...options });
  const client = await JsonClient.connect(host.address!.port);
  return {
    host,
    clock,
    client,
    async stop() {
      client.close();
      await host.stop();
    },
  };
}

async function registerAndLogin(client: JsonClient, user = ANN): Promise<string> {
  await client.ok({ type: 'user.register', ...user });
  return (await client.ok({ type: 'session.login', ...user })).token as string;
}

/** A user's stored record, read straight from the store's files (its shards and its write-ahead log). */
async function storedUser(dataDir: string, username: string): Promise<Record<string, any>> {
  const user = (await storedCollection<Record<string, any>>(dataDir, 'book.users'))[username];
  if (user) return user;
  throw new Error(`no stored user ${username}`);
}

/** Lets `change` edit every stored user (across shards, as one map), then writes each shard back in place. */
async function rewriteStoredUsers(dataDir: string, change: (users: Record<string, any>) => void): Promise<void> {
  const dir = path.join(dataDir, 'store', 'book.users');
  const shards = new Map<string, { documents: Record<string, any> }>();
  for (const name of await readdir(dir)) {
    if (name.startsWith('shard-')) shards.set(name, JSON.parse(await readFile(path.join(dir, name), 'utf8')));
  }
  change(Object.assign({}, ...[...shards.values()].map((shard) => shard.documents)));
  for (const [name, shard] of shards) await writeFile(path.join(dir, name), JSON.stringify(shard));
}

describe('password book over the socket', () => {
  it('registers, logs in and keeps named passwords only their owner can read', async () => {
    const { client, stop } = await bookHost(await tempDir('book'));
    const token = await registerAndLogin(client);
    assert.deepEqual(await client.ok({ type: 'entry.add', token, name: 'mail', password: 'm4il-pass' }), { name: 'mail' });
    await client.ok({ type: 'entry.add', token, name: 'bank', password: 'b4nk-pass' });
    assert.equal(await client.fails({ type: 'entry.add', token, name: 'mail', password: 'again' }), 'ENTRY_EXISTS');
    const listed = await client.ok({ type: 'entry.list', token });
    assert.deepEqual(listed.entries.map((entry: { name: string }) => entry.name), ['bank', 'mail']);
    assert.ok(!JSON.stringify(listed).includes('pass'));
    assert.equal((await client.ok({ type: 'entry.get', token, name: 'mail' })).password, 'm4il-pass');
    assert.deepEqual(await client.ok({ type: 'entry.rename', token, name: 'mail', newName: 'email' }), { name: 'email' });
    assert.equal(await client.fails({ type: 'entry.get', token, name: 'mail' }), 'ENTRY_NOT_FOUND');
    assert.equal(await client.fails({ type: 'entry.rename', token, name: 'email', newName: 'bank' }), 'ENTRY_EXISTS');
    assert.equal(await client.fails({ type: 'entry.rename', token, name: 'nope', newName: 'x' }), 'ENTRY_NOT_FOUND');
    assert.equal((await client.ok({ type: 'entry.get', token, name: 'email' })).password, 'm4il-pass');
    assert.deepEqual(await client.ok({ type: 'entry.delete', token, name: 'bank' }), {});
    assert.equal(await client.fails({ type: 'entry.delete', token, name: 'bank' }), 'ENTRY_NOT_FOUND');
    assert.deepEqual(await client.ok({ type: 'session.logout', token }), {});
    assert.equal(await client.fails({ type: 'entry.list', token }), 'SESSION_INVALID');
    await stop();
  });

  it('keeps one user out of another user’s book', async () => {
    const { client, stop } = await bookHost(await tempDir('book'));
    const annToken = await registerAndLogin(client);
    const bobToken = await registerAndLogin(client, { username: 'bob', masterPassword: 'bob’s long password' });
    await client.ok({ type: 'entry.add', token: annToken, name: 'mail', password: 'ann-only' });
    assert.equal(await client.fails({ type: 'entry.get', token: bobToken, name: 'mail' }), 'ENTRY_NOT_FOUND');
    assert.deepEqual((await client.ok({ type: 'entry.list', token: bobToken })).entries, []);
    assert.equal(await client.fails({ type: 'entry.list', token: 'made-up-token' }), 'SESSION_INVALID');
    await stop();
  });

  it('refuses a taken username and a short master password', async () => {
    const { client, stop } = await bookHost(await tempDir('book'));
    await client.ok({ type: 'user.register', ...ANN });
    assert.equal(await client.fails({ type: 'user.register', ...ANN }), 'USERNAME_TAKEN');
    assert.equal(await client.fails({ type: 'user.register', username: 'cy', masterPassword: 'short' }), 'WEAK_MASTER_PASSWORD');
    await stop();
  });

  it('counts and lists users for the seed messages, without a password in sight', async () => {
    const { client, stop } = await bookHost(await tempDir('book'));
    assert.deepEqual(await client.call({ message: 'number_of_users' }), { message: 'return_number_of_users', number_of_users: 0 });
    await client.ok({ type: 'user.register', ...ANN });
    await client.ok({ type: 'user.register', username: 'bob', masterPassword: 'another long one' });
    assert.deepEqual(await client.call({ message: 'number_of_users' }), { message: 'return_number_of_users', number_of_users: 2 });
    const users = await client.call({ message: 'check_users' });
    assert.deepEqual(users, { message: 'return_check_users', users: [{ username: 'ann' }, { username: 'bob' }] });
    assert.deepEqual(await client.ok({ type: 'users.count' }), { count: 2 });
    assert.deepEqual(await client.ok({ type: 'users.list' }), { users: [{ username: 'ann' }, { username: 'bob' }] });
    assert.deepEqual(await client.call({ message: 'another_message', data: 'some_data' }), { message: 'Invalid message!' });
    await stop();
  });

  it('files a generated password from the inbox into the book, as "Add Generated Password" did', async () => {
    const { client, stop } = await bookHost(await tempDir('book'));
    const token = await registerAndLogin(client);
    assert.equal(await client.fails({ type: 'pending.file', token, name: 'none' }), 'NO_PENDING_PASSWORD');
    assert.deepEqual(await client.call({ message: 'save_password', password: 'gen-1' }), { message: 'Password saved!' });
    assert.deepEqual(await client.call({ message: 'save_password', password: 'gen-2' }), { message: 'Password saved!' });
    const { pending } = await client.ok({ type: 'pending.list', token });
    assert.equal(pending.length, 2);
    assert.ok(!JSON.stringify(pending).includes('gen-'));
    await client.ok({ type: 'pending.file', token, name: 'newest' });
    assert.equal((await client.ok({ type: 'entry.get', token, name: 'newest' })).password, 'gen-2');
    await client.ok({ type: 'pending.file', token, name: 'older', pendingId: pending[1].pendingId });
    assert.equal((await client.ok({ type: 'entry.get', token, name: 'older' })).password, 'gen-1');
    assert.equal(await client.fails({ type: 'pending.file', token, name: 'again' }), 'NO_PENDING_PASSWORD');
    assert.equal(await client.fails({ type: 'pending.list', token: 'bad' }), 'SESSION_INVALID');
    await stop();
  });

  it('files save_password straight into the book with a valid token and a free name, else into the inbox', async () => {
    const { client, stop } = await bookHost(await tempDir('book'));
    const token = await registerAndLogin(client);
    assert.deepEqual(await client.call({ message: 'save_password', password: 'direct', token, name: 'wifi' }), { message: 'Password saved!' });
    assert.equal((await client.ok({ type: 'entry.get', token, name: 'wifi' })).password, 'direct');
    assert.deepEqual(await client.ok({ type: 'pending.add', password: 'dup', token, name: 'wifi' }), { filedIn: 'inbox', pendingId: 'pending_1' });
    assert.equal((await client.ok({ type: 'pending.add', password: 'stale', token: 'expired', name: 'x' })).filedIn, 'inbox');
    assert.equal((await client.ok({ type: 'pending.list', token })).pending.length, 2);
    await stop();
  });

  it('ends sessions and drops inbox passwords when their time is up', async () => {
    const { client, clock, stop } = await bookHost(await tempDir('book'));
    const token = await registerAndLogin(client);
    await client.call({ message: 'save_password', password: 'soon gone' });
    clock.advance(15 * MINUTE);
    assert.equal(await client.fails({ type: 'entry.list', token }), 'SESSION_INVALID');
    clock.advance(46 * MINUTE);
    const again = (await client.ok({ type: 'session.login', ...ANN })).token;
    assert.equal(await client.fails({ type: 'pending.file', token: again, name: 'late' }), 'NO_PENDING_PASSWORD');
    await stop();
  });

  it('changes the master password by re-wrapping the key, not re-encrypting the entries, and ends other sessions', async () => {
    const dataDir = await tempDir('book');
    const { client, stop } = await bookHost(dataDir);
    const token = await registerAndLogin(client);
    const other = (await client.ok({ type: 'session.login', ...ANN })).token;
    await client.ok({ type: 'entry.add', token, name: 'mail', password: 'kept' });
    const before = await storedUser(dataDir, 'ann');
    const entriesBefore = await storedCollection<Record<string, any>>(dataDir, 'book.entries');
    const change = { type: 'user.change_password', token, masterPassword: ANN.masterPassword };
    assert.equal(await client.fails({ ...change, masterPassword: 'not the one at all', newMasterPassword: 'new and long enough' }), 'LOGIN_FAILED');
    assert.equal(await client.fails({ ...change, newMasterPassword: 'short' }), 'WEAK_MASTER_PASSWORD');
    assert.deepEqual(await client.ok({ ...change, newMasterPassword: 'new and long enough' }), {});
    const after = await storedUser(dataDir, 'ann');
    assert.deepEqual(await storedCollection<Record<string, any>>(dataDir, 'book.entries'), entriesBefore);
    assert.notDeepEqual(after.wrappedKey, before.wrappedKey);
    assert.notEqual(after.passwordHash, before.passwordHash);
    assert.equal(await client.fails({ type: 'entry.list', token: other }), 'SESSION_INVALID');
    assert.equal((await client.ok({ type: 'entry.get', token, name: 'mail' })).password, 'kept');
    assert.equal(await client.fails({ type: 'session.login', ...ANN }), 'LOGIN_FAILED');
    const fresh = (await client.ok({ type: 'session.login', username: 'ann', masterPassword: 'new and long enough' })).token;
    assert.equal((await client.ok({ type: 'entry.get', token: fresh, name: 'mail' })).password, 'kept');
    await stop();
  });

  it('stores Argon2id hashes at OWASP cost and re-hashes at the next login when the cost is raised', async () => {
    const dataDir = await tempDir('book');
    const first = await bookHost(dataDir);
    await first.client.ok({ type: 'user.register', ...ANN });
    await first.stop();
    assert.match((await storedUser(dataDir, 'ann')).passwordHash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);

    const second = await bookHost(dataDir, { book: { argon2: { timeCost: 3 } } });
    await second.client.ok({ type: 'session.login', ...ANN });
    await second.stop();
    const rehashed = await storedUser(dataDir, 'ann');
    assert.match(rehashed.passwordHash, /^\$argon2id\$v=19\$m=19456,t=3,p=1\$/);
    assert.equal(rehashed.keyDerivation.timeCost, 3);
    assert.throws(() => resolveBookOptions({ argon2: { memoryCost: 4096 } }), RangeError);
    assert.throws(() => resolveBookOptions({ argon2: { parallelism: 4 } }), RangeError);
  });

  it('keeps every user’s changes when many arrive at once', async () => {
    const { client, host, stop } = await bookHost(await tempDir('book'));
    const token = await registerAndLogin(client);
    const others = await Promise.all(Array.from({ length: 8 }, () => JsonClient.connect(host.address!.port)));
    // Eight connections at once, each sending its additions back to back.
    await Promise.all(
      others.map(async (other, i) => {
        for (let j = 0; j < 3; j++) await other.ok({ type: 'entry.add', token, name: `e${i}-${j}`, password: 'p' });
      }),
    );
    assert.equal((await client.ok({ type: 'entry.list', token })).entries.length, 24);
    others.forEach((other) => other.close());
    await stop();
  });

  it('creates its key and data files 0600 in 0700 folders whatever the umask', async () => {
    const dataDir = path.join(await tempDir('book'), 'data');
    const previous = process.umask(0);
    try {
      const { client, stop } = await bookHost(dataDir);
      await client.ok({ type: 'user.register', ...ANN });
      await client.call({ message: 'save_password', password: 'x' });
      const token = (await client.ok({ type: 'session.login', ...ANN })).token;
      await client.ok({ type: 'entry.add', token, name: 'mail', password: 'p' });
      await stop();
    } finally {
      process.umask(previous);
    }
    for (const dir of ['keys', 'store/book.users', 'store/book.entries', 'store/book.pending']) {
      assert.equal((await stat(path.join(dataDir, dir))).mode & 0o777, 0o700, dir);
      for (const name of await readdir(path.join(dataDir, dir))) {
        assert.equal((await stat(path.join(dataDir, dir, name))).mode & 0o777, 0o600, `${dir}/${name}`);
      }
    }
    assert.equal((await stat(path.join(dataDir, 'keys', 'service.key'))).size, 32);
  });
});

describe('password book across restarts', () => {
  it('never reuses an entry or inbox id that a book saved in an earlier run', async () => {
    const dataDir = await tempDir('book');
    const first = await bookHost(dataDir);
    const token = await registerAndLogin(first.client);
    await first.client.ok({ type: 'entry.add', token, name: 'first', password: 'one' });
    await first.client.call({ message: 'save_password', password: 'gen-1' });
    await first.stop();
    // The second run's id source starts again at 1, as a test's or a replay's does.
    const second = await bookHost(dataDir);
    const again = (await second.client.ok({ type: 'session.login', ...ANN })).token;
    await second.client.ok({ type: 'entry.add', token: again, name: 'second', password: 'two' });
    await second.client.call({ message: 'save_password', password: 'gen-2' });
    assert.equal((await second.client.ok({ type: 'entry.get', token: again, name: 'first' })).password, 'one');
    assert.equal((await second.client.ok({ type: 'pending.list', token: again })).pending.length, 2);
    await second.stop();
  });
});

describe('password book reference', () => {
  it('answers every typed message with only the result fields its declaration documents', async () => {
    const { client, stop } = await bookHost(await tempDir('book'));
    const results = new Map<string, Record<string, unknown>>();
    const ok = async (message: Record<string, unknown>) => {
      const result = await client.ok(message);
      results.set(message['type'] as string, result);
      return result;
    };
    await ok({ type: 'user.register', ...ANN });
    const token = (await ok({ type: 'session.login', ...ANN })).token;
    await ok({ type: 'entry.add', token, name: 'a', password: 'p' });
    await ok({ type: 'entry.list', token });
    await ok({ type: 'entry.get', token, name: 'a' });
    await ok({ type: 'entry.rename', token, name: 'a', newName: 'b' });
    await ok({ type: 'entry.delete', token, name: 'b' });
    await ok({ type: 'pending.add', password: 'g' });
    await ok({ type: 'pending.list', token });
    await ok({ type: 'pending.file', token, name: 'g' });
    await ok({ type: 'users.count' });
    await ok({ type: 'users.list' });
    await ok({ type: 'user.change_password', token, masterPassword: ANN.masterPassword, newMasterPassword: 'another long one' });
    await ok({ type: 'session.logout', token });
    assert.deepEqual([...results.keys()].sort(), Object.keys(BOOK_MESSAGES).sort());
    for (const [type, result] of results) {
      const documented = Object.keys(BOOK_MESSAGES[type as keyof typeof BOOK_MESSAGES].result);
      for (const key of Object.keys(result)) assert.ok(documented.includes(key), `${type} answers an undocumented '${key}'`);
    }
    await stop();
  });
});

describe('password book tampering', () => {
  it('refuses an altered wrapped key with CREDENTIALS_DAMAGED, for that user only', async () => {
    const dataDir = await tempDir('book');
    const first = await bookHost(dataDir);
    await registerAndLogin(first.client);
    const bob = { username: 'bob', masterPassword: 'bob has a long one' };
    await registerAndLogin(first.client, bob);
    await first.stop();
    // (Swapped and planted entries: test/integration/book-damage.test.ts.)
    await rewriteStoredUsers(dataDir, (users) => {
      const bobRecord = users['bob'];
      const data = Buffer.from(bobRecord.wrappedKey.data, 'base64');
      data[0] = (data[0] as number) ^ 1;
      bobRecord.wrappedKey.data = data.toString('base64');
    });
    const second = await bookHost(dataDir);
    assert.equal(await second.client.fails({ type: 'session.login', ...bob }), 'CREDENTIALS_DAMAGED');
    await second.client.ok({ type: 'session.login', ...ANN });
    await second.stop();
    // A record from before digests: the box's own authentication finds it, after the password matched.
    await rewriteStoredUsers(dataDir, (users) => delete users['bob'].credentialsDigest);
    const third = await bookHost(dataDir);
    assert.equal(await third.client.fails({ type: 'session.login', ...bob }), 'CREDENTIALS_DAMAGED');
    await third.stop();
  });
});
