import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tempDir } from '../helpers/temp-dir.ts';
import { startTestHost } from '../helpers/host-harness.ts';
import { JsonClient } from '../helpers/json-client.ts';
import { Bus } from '../../src/bus/bus.ts';
import { VirtualClock } from '../../src/clock/virtual-clock.ts';
import { sequentialIds } from '../../src/ids/ids.ts';
import { seededRandom } from '../../src/random/random.ts';
import { StoreClient } from '../../src/store/store-client.ts';
import { LowdbStore } from '../../adapters/store/lowdb-store.ts';
import { BookRecords } from '../../src/book/book-records.ts';
import { LoginThrottle } from '../../src/book/login-throttle.ts';
import { PasswordBook } from '../../src/book/password-book.ts';
import { OWASP_ARGON2ID, PasswordHasher } from '../../src/book/password-hasher.ts';
import { SessionTable } from '../../src/book/session-table.ts';
import { Secret } from '../../src/secret/secret.ts';
import { SECRET_FIELDS, type BookRequest } from '../../src/book/book-messages.ts';
import type { HostOptions } from '../../src/host/host-options.ts';

const ANN = { username: 'ann', masterPassword: 'correct horse battery' };
const BOB = { username: 'bob', masterPassword: 'bob has a long one' };
const MINUTE = 60_000;

async function bookHost(dataDir?: string, book: HostOptions['book'] = {}) {
  const { host, clock } = await startTestHost(dataDir ?? (await tempDir('throttle')), { socket: { host: '127.0.0.1', port: 0, idleTimeoutMs: 86_400_000 }, book });
  const client = await JsonClient.connect(host.address!.port);
  /** A book request as a client at `address` sends it (the socket's clients all share 127.0.0.1). */
  const from = (address: string, request: Record<string, unknown>): Promise<{ ok: boolean; result?: Record<string, any>; code?: string }> => {
    const secrets = Object.fromEntries(Object.entries(request).map(([key, value]) => [key, SECRET_FIELDS.has(key) && typeof value === 'string' ? new Secret(value) : value]));
    return host.book.handle(secrets as unknown as BookRequest, { address }).then(
      (result) => ({ ok: true, result: result as Record<string, any> }),
      (error: { code: string }) => ({ ok: false, code: error.code }),
    );
  };
  return { host, clock, client, from, stop: async () => (client.close(), await host.stop()) };
}

/** Guesses from `address` until the throttle says no; how many guesses the book actually checked. */
async function hammer(from: (address: string, request: Record<string, unknown>) => Promise<{ ok: boolean; code?: string }>, address: string, username: string) {
  let checked = 0;
  for (let i = 0; ; i++) {
    const reply = await from(address, { type: 'session.login', username, masterPassword: `guess ${address} ${i}` });
    if (reply.code === 'LOGIN_THROTTLED') return checked;
    assert.equal(reply.code, 'LOGIN_FAILED');
    checked++;
  }
}

describe('login throttling with device tokens', () => {
  it('never stops the owner’s known device from getting in at the first try, while the attacker’s guesses stay bounded', async () => {
    const { client, clock, from, stop } = await bookHost();
    await client.ok({ type: 'user.register', ...ANN });
    const { deviceToken } = await client.ok({ type: 'session.login', ...ANN });
    assert.match(deviceToken, /^d1\./);
    let guesses = 0;
    for (let hour = 0; hour < 2; hour++) {
      // Twenty-five addresses, each guessing until it is refused; then the owner, at the first try.
      for (let address = 0; address < 25; address++) guesses += await hammer(from, `10.0.${hour}.${address}`, 'ann');
      assert.equal(await client.fails({ type: 'session.login', ...ANN }), 'LOGIN_THROTTLED', 'an unknown device of the owner may be locked out');
      const owner = await client.ok({ type: 'session.login', ...ANN, deviceToken });
      assert.equal(owner.deviceToken, deviceToken, 'a valid device token is handed back as it is');
      clock.advance(60 * MINUTE);
    }
    // 100 at once, then 100 an hour for the account, from anywhere.
    assert.ok(guesses <= 200, `${guesses} guesses in two hours`);
    assert.ok(guesses >= 100);
    await stop();
  });

  it('counts a forged, another user’s or a garbled device token as none', async () => {
    const tight = { burst: 1, refillMs: 60 * MINUTE };
    const { client, from, stop } = await bookHost(undefined, { perAccountThrottle: tight });
    for (const user of [ANN, BOB]) await client.ok({ type: 'user.register', ...user });
    const annToken = (await client.ok({ type: 'session.login', ...ANN })).deviceToken as string;
    const bobToken = (await client.ok({ type: 'session.login', ...BOB })).deviceToken as string;
    assert.notEqual(annToken, bobToken);
    assert.equal((await from('10.0.0.1', { type: 'session.login', username: 'ann', masterPassword: 'wrong guess' })).code, 'LOGIN_FAILED');
    const [, nonce = '', mac = ''] = annToken.split('.');
    const flipped = (text: string) => (text[0] === 'A' ? 'B' : 'A') + text.slice(1);
    for (const deviceToken of [bobToken, `d1.${nonce}.${flipped(mac)}`, `d1.${flipped(nonce)}.${mac}`, `d2.${nonce}.${mac}`, `${annToken}=`, 'garbled', 'd1..']) {
      assert.equal(await client.fails({ type: 'session.login', ...ANN, deviceToken }), 'LOGIN_THROTTLED', deviceToken);
    }
    for (const deviceToken of [7, '', 'x'.repeat(257), null, ['a']]) {
      assert.equal(await client.fails({ type: 'session.login', ...ANN, deviceToken }), 'INVALID_FIELD', JSON.stringify(deviceToken));
    }
    assert.ok((await client.ok({ type: 'session.login', ...ANN, deviceToken: annToken })).token);
    await stop();
  });

  it('gives a known device its own budget: its failures lock out only itself', async () => {
    const { client, from, stop } = await bookHost();
    await client.ok({ type: 'user.register', ...ANN });
    const laptop = (await client.ok({ type: 'session.login', ...ANN })).deviceToken as string;
    const phone = (await client.ok({ type: 'session.login', ...ANN })).deviceToken as string;
    for (let i = 0; i < 5; i++) assert.equal(await client.fails({ type: 'session.login', username: 'ann', masterPassword: `typo ${i}`, deviceToken: laptop }), 'LOGIN_FAILED');
    const refused = await client.call({ type: 'session.login', ...ANN, deviceToken: laptop });
    assert.equal(refused.error.code, 'LOGIN_THROTTLED');
    assert.match(refused.error.message, /try again in 60 s/);
    assert.ok((await client.ok({ type: 'session.login', ...ANN, deviceToken: phone })).token);
    assert.equal((await from('10.0.0.9', { type: 'session.login', ...ANN })).ok, true, 'unknown devices are not touched either');
    await stop();
  });

  it('keeps a device token valid across a restart', async () => {
    const dataDir = await tempDir('throttle');
    const tight = { burst: 1, refillMs: 60 * MINUTE };
    const first = await bookHost(dataDir);
    await first.client.ok({ type: 'user.register', ...ANN });
    const deviceToken = (await first.client.ok({ type: 'session.login', ...ANN })).deviceToken as string;
    await first.stop();
    const second = await bookHost(dataDir, { perAccountThrottle: tight });
    assert.equal((await second.from('10.0.0.1', { type: 'session.login', username: 'ann', masterPassword: 'wrong guess' })).code, 'LOGIN_FAILED');
    assert.equal(await second.client.fails({ type: 'session.login', ...ANN }), 'LOGIN_THROTTLED');
    assert.equal((await second.client.ok({ type: 'session.login', ...ANN, deviceToken })).deviceToken, deviceToken);
    await second.stop();
  });

  it('spends no login budget on 100 registrations in parallel from one address, only its own registration budget', async () => {
    const { host, client, stop } = await bookHost();
    const clients = await Promise.all(Array.from({ length: 100 }, () => JsonClient.connect(host.address!.port)));
    const replies = await Promise.all(clients.map((other, i) => other.call({ type: 'user.register', username: `user${i % 10}-${Math.floor(i / 10)}`, masterPassword: 'long enough pw' })));
    for (const reply of replies) assert.equal(reply.ok, true, JSON.stringify(reply));
    clients.forEach((other) => other.close());
    // The address still has its whole budget: 20 failures across accounts before the 21st is refused.
    for (let i = 0; i < 20; i++) assert.equal(await client.fails({ type: 'session.login', username: `user${i % 10}-${Math.floor(i / 10)}`, masterPassword: 'wrong one!' }), 'LOGIN_FAILED');
    assert.equal(await client.fails({ type: 'session.login', username: 'user9-9', masterPassword: 'wrong one!' }), 'LOGIN_THROTTLED');
    // Registrations have a budget of their own (each costs a hash and a record): the 100 spent it, and the next
    // new user from this address waits.
    assert.equal(await client.fails({ type: 'user.register', username: 'newcomer', masterPassword: 'long enough pw' }), 'LOGIN_THROTTLED');
    await stop();
  });

  it('lets user.change_password through on its own session’s budget while the account is under attack', async () => {
    const { client, from, stop } = await bookHost();
    await client.ok({ type: 'user.register', ...ANN });
    const { token, deviceToken } = await client.ok({ type: 'session.login', ...ANN });
    const other = (await client.ok({ type: 'session.login', ...ANN, deviceToken })).token;
    for (let address = 0; address < 25; address++) await hammer(from, `10.1.0.${address}`, 'ann');
    const change = { type: 'user.change_password', token: other, newMasterPassword: 'a brand new one' };
    for (let i = 0; i < 5; i++) assert.equal(await client.fails({ ...change, masterPassword: `typo ${i}` }), 'LOGIN_FAILED');
    assert.equal(await client.fails({ ...change, masterPassword: ANN.masterPassword }), 'LOGIN_THROTTLED', 'that session used up its own budget');
    assert.deepEqual(await client.ok({ type: 'user.change_password', token, masterPassword: ANN.masterPassword, newMasterPassword: 'a brand new one' }), {});
    assert.ok((await client.ok({ type: 'session.login', username: 'ann', masterPassword: 'a brand new one', deviceToken })).token);
    await stop();
  });

  it('answers the seed’s messages exactly as before, however throttled the address is', async () => {
    const { client, host, from, stop } = await bookHost();
    await client.ok({ type: 'user.register', ...ANN });
    await hammer(from, '127.0.0.1', 'ann');
    const seed = await JsonClient.connect(host.address!.port);
    assert.deepEqual(await seed.call({ message: 'save_password', password: 'generated' }), { message: 'Password saved!' });
    assert.deepEqual(await seed.call({ message: 'number_of_users' }), { message: 'return_number_of_users', number_of_users: 1 });
    assert.deepEqual(await seed.call({ message: 'check_users' }), { message: 'return_check_users', users: [{ username: 'ann' }] });
    assert.deepEqual(seed.transcript, [
      '{"message": "Password saved!"}',
      '{"message": "return_number_of_users", "number_of_users": 1}',
      '{"message": "return_check_users", "users": [{"username": "ann"}]}',
    ]);
    seed.close();
    await stop();
  });

  it('answers an unknown user exactly as a wrong password', async () => {
    const { client, stop } = await bookHost();
    await client.ok({ type: 'user.register', ...ANN });
    const wrong = await client.call({ type: 'session.login', id: 1, username: 'ann', masterPassword: 'not it at all' });
    const unknown = await client.call({ type: 'session.login', id: 1, username: 'nobody', masterPassword: 'not it at all' });
    assert.deepEqual(unknown, wrong);
    await stop();
  });
});

describe('login cost', () => {
  it('spends one Argon2id verification on an unknown user, as on a wrong password', async () => {
    const counts = { verify: 0, derive: 0 };
    class CountingHasher extends PasswordHasher {
      override verify(phc: string, password: string) {
        counts.verify++;
        return super.verify(phc, password);
      }
      override deriveKey(...args: Parameters<PasswordHasher['deriveKey']>) {
        counts.derive++;
        return super.deriveKey(...args);
      }
    }
    const bus = new Bus();
    const ids = sequentialIds();
    const store = new LowdbStore({ dataDir: await tempDir('cost'), ids });
    await store.start(bus);
    const storeClient = new StoreClient(bus, ids);
    const clock = new VirtualClock(0);
    const random = seededRandom('cost');
    const hasher = new CountingHasher({ params: OWASP_ARGON2ID, random, maxConcurrent: 1 });
    await hasher.prepareDecoy(); // as openPasswordBook does at start-up
    const book = new PasswordBook({
      records: new BookRecords(storeClient),
      hasher,
      sessions: new SessionTable({ clock, random, ttlMs: 60_000 }),
      throttle: new LoginThrottle(clock, {
        knownDevice: { burst: 100, refillMs: 1 },
        unknownDevice: { burst: 100, refillMs: 1 },
        perAccount: { burst: 100, refillMs: 1 },
        perAddress: { burst: 100, refillMs: 1 },
        perSession: { burst: 100, refillMs: 1 },
        registration: { burst: 100, refillMs: 1 },
      }),
      clock,
      ids,
      random,
      serviceKey: random.bytes(32),
      pendingTtlMs: 60_000,
    });
    const client = { address: 'local' };
    await book.handle({ type: 'user.register', username: 'ann', masterPassword: new Secret(ANN.masterPassword) }, client);
    const costOf = async (username: string) => {
      counts.verify = 0;
      counts.derive = 0;
      await assert.rejects(book.handle({ type: 'session.login', username, masterPassword: new Secret('wrong guess!') }, client), { code: 'LOGIN_FAILED' });
      return { ...counts };
    };
    assert.deepEqual(await costOf('nobody'), { verify: 1, derive: 0 });
    assert.deepEqual(await costOf('ann'), { verify: 1, derive: 0 });
    storeClient.dispose();
    await store.stop();
  });
});
