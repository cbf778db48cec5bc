import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { open, seal } from '../../src/book/sealed-box.ts';
import { loadServiceKey } from '../../src/book/service-key.ts';
import { ConcurrencyLimit } from '../../src/book/concurrency-limit.ts';
import { LoginThrottle, type LoginThrottlePolicies } from '../../src/book/login-throttle.ts';
import { DeviceTokens } from '../../src/book/device-tokens.ts';
import { VirtualClock } from '../../src/clock/virtual-clock.ts';
import { seededRandom } from '../../src/random/random.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const random = seededRandom('crypto');
const key = random.bytes(32);

describe('sealed boxes (AES-256-GCM)', () => {
  it('open only with the key and the context they were sealed for', () => {
    const box = seal(key, Buffer.from('secret'), 'owner\0entry-1', random);
    assert.equal(open(key, box, 'owner\0entry-1').toString(), 'secret');
    assert.throws(() => open(key, box, 'owner\0entry-2'), { code: 'VAULT_INTEGRITY' });
    assert.throws(() => open(random.bytes(32), box, 'owner\0entry-1'), { code: 'VAULT_INTEGRITY' });
  });

  it('refuse a box with any bit changed, or cut short', () => {
    const box = seal(key, Buffer.from('secret'), 'ctx', random);
    const data = Buffer.from(box.data, 'base64');
    for (let bit = 0; bit < data.length * 8; bit += 7) {
      const flipped = Buffer.from(data);
      flipped[bit >> 3] = (flipped[bit >> 3] as number) ^ (1 << (bit & 7));
      assert.throws(() => open(key, { ...box, data: flipped.toString('base64') }, 'ctx'), { code: 'VAULT_INTEGRITY' });
    }
    assert.throws(() => open(key, { ...box, data: data.subarray(0, 10).toString('base64') }, 'ctx'), { code: 'VAULT_INTEGRITY' });
    assert.throws(() => open(key, { ...box, iv: 'AAAA' }, 'ctx'), { code: 'VAULT_INTEGRITY' });
  });

  it('use a fresh nonce each time', () => {
    assert.notEqual(seal(key, Buffer.from('x'), 'c', random).iv, seal(key, Buffer.from('x'), 'c', random).iv);
  });
});

describe('the service key file', () => {
  it('is made once, 32 bytes, 0600 in a 0700 folder, and read back the same', async () => {
    const dataDir = await tempDir('service-key');
    const first = await loadServiceKey(dataDir, random);
    const second = await loadServiceKey(dataDir, seededRandom('other'));
    assert.deepEqual(second, first);
    assert.equal((await stat(path.join(dataDir, 'keys'))).mode & 0o777, 0o700);
    assert.equal((await stat(path.join(dataDir, 'keys', 'service.key'))).mode & 0o777, 0o600);
  });

  it('is left untouched and reported with SERVICE_KEY_INVALID when it is not a key', async () => {
    const dataDir = await tempDir('service-key');
    await mkdir(path.join(dataDir, 'keys'));
    await writeFile(path.join(dataDir, 'keys', 'service.key'), 'not a key');
    await assert.rejects(loadServiceKey(dataDir, random), { code: 'SERVICE_KEY_INVALID' });
    assert.equal(await readFile(path.join(dataDir, 'keys', 'service.key'), 'utf8'), 'not a key');
  });
});

describe('concurrency limit', () => {
  it('runs no more than its limit at once, the rest in arrival order', async () => {
    const limit = new ConcurrencyLimit(2);
    let running = 0;
    let most = 0;
    const order: number[] = [];
    const releases: (() => void)[] = [];
    const tasks = Array.from({ length: 5 }, (_, i) =>
      limit.run(async () => {
        running++;
        most = Math.max(most, running);
        order.push(i);
        await new Promise<void>((resolve) => releases.push(resolve));
        running--;
      }),
    );
    while (order.length < 5) {
      await new Promise((resolve) => setImmediate(resolve));
      releases.shift()?.();
    }
    releases.forEach((release) => release());
    await Promise.all(tasks);
    assert.equal(most, 2);
    assert.deepEqual(order, [0, 1, 2, 3, 4]);
  });
});

describe('login throttle', () => {
  const policies = (over: Partial<LoginThrottlePolicies>): LoginThrottlePolicies => ({
    knownDevice: { burst: 100, refillMs: 1 },
    unknownDevice: { burst: 100, refillMs: 1 },
    perAccount: { burst: 100, refillMs: 1 },
    perAddress: { burst: 100, refillMs: 1 },
    perSession: { burst: 100, refillMs: 1 },
    registration: { burst: 100, refillMs: 1 },
    ...over,
  });
  const unknown = (username: string, address = 'a') => ({ kind: 'unknown-device', username, address }) as const;

  it('refills one attempt per period on the clock and never above the burst', () => {
    const clock = new VirtualClock(0);
    const throttle = new LoginThrottle(clock, policies({ perAccount: { burst: 2, refillMs: 1_000 } }));
    assert.equal(throttle.attempt(unknown('ann')).allowed, true);
    assert.equal(throttle.attempt(unknown('ann')).allowed, true);
    assert.deepEqual(throttle.attempt(unknown('ann')), { allowed: false, retryAfterMs: 1_000 });
    assert.equal(throttle.attempt(unknown('bob')).allowed, true, 'other users have their own bucket');
    clock.advance(1_000);
    assert.equal(throttle.attempt(unknown('ann')).allowed, true);
    clock.advance(60_000);
    assert.equal(throttle.attempt(unknown('ann')).allowed, true);
    assert.equal(throttle.attempt(unknown('ann')).allowed, true);
    assert.equal(throttle.attempt(unknown('ann')).allowed, false);
  });

  it('keeps a known device’s budget apart from every unknown device’s, and each device’s from the others’', () => {
    const clock = new VirtualClock(0);
    const one = { burst: 1, refillMs: 60_000 };
    const throttle = new LoginThrottle(clock, policies({ knownDevice: one, unknownDevice: one, perAccount: one, perAddress: one, perSession: one }));
    assert.equal(throttle.attempt(unknown('ann', 'x')).allowed, true);
    assert.equal(throttle.attempt(unknown('ann', 'y')).allowed, false, 'the account’s budget for unknown devices is spent');
    assert.equal(throttle.attempt({ kind: 'known-device', username: 'ann', device: 'd1' }).allowed, true);
    assert.equal(throttle.attempt({ kind: 'known-device', username: 'ann', device: 'd1' }).allowed, false);
    assert.equal(throttle.attempt({ kind: 'known-device', username: 'ann', device: 'd2' }).allowed, true);
    assert.equal(throttle.attempt({ kind: 'session', session: 's1' }).allowed, true);
  });

  it('gives back what a successful attempt took, once', () => {
    const clock = new VirtualClock(0);
    const throttle = new LoginThrottle(clock, policies({ perAccount: { burst: 1, refillMs: 60_000 } }));
    const verdict = throttle.attempt(unknown('ann'));
    assert.ok(verdict.allowed);
    verdict.refund();
    verdict.refund();
    assert.ok(throttle.attempt(unknown('ann')).allowed);
    assert.equal(throttle.attempt(unknown('ann')).allowed, false);
  });

  it('refuses a policy that could never allow an attempt', () => {
    assert.throws(() => new LoginThrottle(new VirtualClock(0), policies({ perAddress: { burst: 0, refillMs: 1 } })), RangeError);
    assert.throws(() => new LoginThrottle(new VirtualClock(0), policies({ perAddress: { burst: 1, refillMs: 0 } })), RangeError);
  });
});

describe('device tokens', () => {
  it('are valid only for their user under their service key, and need no state to check', () => {
    const random = seededRandom('device tokens');
    const key = random.bytes(32);
    const token = new DeviceTokens(key, random).issue('ann');
    assert.match(token.reveal(), /^d1\.[\w-]{22}\.[\w-]{43}$/);
    // Another instance over the same key (a restarted service) knows it; another key or user does not.
    const device = new DeviceTokens(Buffer.from(key), seededRandom('other')).deviceOf('ann', token);
    assert.equal(typeof device, 'string');
    assert.equal(new DeviceTokens(random.bytes(32), random).deviceOf('ann', token), null);
    assert.equal(new DeviceTokens(key, random).deviceOf('bob', token), null);
    assert.equal(new DeviceTokens(key, random).deviceOf('ann', undefined), null);
    assert.notEqual(new DeviceTokens(key, random).issue('ann').reveal(), token.reveal(), 'each login of an unknown device gets its own');
  });
});
