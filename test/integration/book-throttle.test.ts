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

const ANN = { username: 'ann', masterPassword: 'correct horse battery' };

async function bookHost() {
  const { host, clock } = await startTestHost(await tempDir('throttle'), { socket: { host: '127.0.0.1', port: 0, idleTimeoutMs: 86_400_000 } });
  const client = await JsonClient.connect(host.address!.port);
  return { host, clock, client, stop: async () => (client.close(), await host.stop()) };
}

describe('login throttling', () => {
  it('allows a burst of failed logins per user, then refuses even the right password until the bucket refills', async () => {
    const { client, clock, stop } = await bookHost();
    await client.ok({ type: 'user.register', ...ANN });
    for (let i = 0; i < 5; i++) assert.equal(await client.fails({ type: 'session.login', username: 'ann', masterPassword: `guess ${i}` }), 'LOGIN_FAILED');
    const throttled = await client.call({ type: 'session.login', ...ANN });
    assert.equal(throttled.error.code, 'LOGIN_THROTTLED');
    assert.match(throttled.error.message, /try again in 60 s/);
    clock.advance(60_000);
    assert.ok((await client.ok({ type: 'session.login', ...ANN })).token);
    // A success gives its attempt back: normal use never runs into the limit.
    for (let i = 0; i < 6; i++) await client.ok({ type: 'session.login', ...ANN });
    await stop();
  });

  it('limits attempts per client address across usernames, known or not', async () => {
    const { client, stop } = await bookHost();
    for (let i = 0; i < 20; i++) assert.equal(await client.fails({ type: 'session.login', username: `user${i}`, masterPassword: 'whatever it is' }), 'LOGIN_FAILED');
    assert.equal(await client.fails({ type: 'session.login', username: 'someone-else', masterPassword: 'whatever it is' }), 'LOGIN_THROTTLED');
    assert.equal(await client.fails({ type: 'user.register', username: 'newcomer', masterPassword: 'long enough pw' }), 'LOGIN_THROTTLED');
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
      throttle: new LoginThrottle(clock, { perUser: { burst: 100, refillMs: 1 }, perAddress: { burst: 100, refillMs: 1 } }),
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
