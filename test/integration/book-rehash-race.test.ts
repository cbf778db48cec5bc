import { openStore } from '../helpers/open-store.ts';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resolveBookOptions } from '../../src/book/book-options.ts';
import { openPasswordBook } from '../../src/book/open-password-book.ts';
import type { PasswordHasher } from '../../src/book/password-hasher.ts';
import { VirtualClock } from '../../src/clock/virtual-clock.ts';
import { sequentialIds } from '../../src/ids/ids.ts';
import { seededRandom } from '../../src/random/random.ts';
import { Secret } from '../../src/secret/secret.ts';
import { START } from '../helpers/host-harness.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/**
 * The real hasher, with two handles a test needs to put a change of master
 * password between a login's check and its re-hash: it can be told that
 * every hash is out of date, and to hold the next key derivation (the
 * login's unwrap, after its verify) until released.
 */
function steerableHasher(plain: PasswordHasher) {
  let outdated = false;
  let hold: { reached: () => void; released: Promise<void> } | null = null;
  const hasher = new Proxy(plain, {
    get(target, property) {
      if (property === 'needsRehash') return (phc: string) => outdated || target.needsRehash(phc);
      if (property === 'deriveKey') {
        return async (...args: Parameters<PasswordHasher['deriveKey']>) => {
          const held = hold;
          hold = null;
          if (held) {
            held.reached();
            await held.released;
          }
          return target.deriveKey(...args);
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return {
    hasher,
    outdate: () => (outdated = true),
    /** Holds the next key derivation: `reached` once it is called, and it goes on at `release()`. */
    holdNext() {
      let release = () => {};
      let reached = () => {};
      const released = new Promise<void>((resolve) => (release = resolve));
      const whenReached = new Promise<void>((resolve) => (reached = resolve));
      hold = { reached, released };
      return { reached: whenReached, release };
    },
  };
}

describe('a login’s re-hash and a change of master password at the same time', () => {
  it('keeps the new master password: the re-hash is skipped when the hash it verified is no longer the stored one', async () => {
    const dataDir = await tempDir('rehash-race');
    const ids = sequentialIds();
    const { client, close } = await openStore(dataDir, { ids });
    let steering: ReturnType<typeof steerableHasher> | undefined;
    const book = await openPasswordBook({
      store: client,
      dataDir,
      clock: new VirtualClock(START),
      ids,
      random: seededRandom('rehash race'),
      options: resolveBookOptions(),
      wrapHasher: (plain) => (steering = steerableHasher(plain)).hasher,
    });
    const device = { address: 'test' };
    const [oldPassword, newPassword] = [new Secret('the old master password'), new Secret('the new master password')];
    await book.handle({ type: 'user.register', username: 'ann', masterPassword: oldPassword }, device);
    const { token } = await book.handle({ type: 'session.login', username: 'ann', masterPassword: oldPassword }, device);

    // A login with the old password, held after its verify; meanwhile the password changes; then it goes on to re-hash.
    steering!.outdate();
    const held = steering!.holdNext();
    const lateLogin = book.handle({ type: 'session.login', username: 'ann', masterPassword: oldPassword }, device);
    await held.reached;
    await book.handle({ type: 'user.change_password', token, masterPassword: oldPassword, newMasterPassword: newPassword }, device);
    held.release();
    await lateLogin;

    await assert.rejects(book.handle({ type: 'session.login', username: 'ann', masterPassword: oldPassword }, device), { code: 'LOGIN_FAILED' });
    await book.handle({ type: 'session.login', username: 'ann', masterPassword: newPassword }, device);
    await close();
  });
});
