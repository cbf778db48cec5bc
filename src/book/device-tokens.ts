import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { RandomSource } from '../random/random.ts';
import { Secret } from '../secret/secret.ts';

const NONCE_BYTES = 16;
const VERSION = 'd1';
// base64url without padding: 16 bytes are 22 characters, a SHA-256 MAC 43.
const TOKEN_SHAPE = /^d1\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

/**
 * Device tokens, OWASP's "device cookies": a successful login hands the
 * device one, and later logins that show it draw on that device's own
 * attempt budget. A token is `d1.<nonce>.<mac>`, the MAC an HMAC-SHA-256 of
 * the username and the nonce under a key derived (HKDF) from the service key,
 * so it is checked without any stored state: it survives restarts, and
 * nothing about devices is kept on disk. A token is bound to its user: shown
 * with another username it is no token at all.
 *
 * @example
 * const tokens = new DeviceTokens(serviceKey, cryptoRandom);
 * const token = tokens.issue('ann');
 * tokens.deviceOf('ann', token); // the device's id, for its budget
 * tokens.deviceOf('bob', token); // null
 */
export class DeviceTokens {
  readonly #key: Buffer;
  readonly #random: RandomSource;

  constructor(serviceKey: Buffer, random: RandomSource) {
    // A key of its own: the service key also seals the inbox, and one key should do one job.
    this.#key = Buffer.from(hkdfSync('sha256', serviceKey, Buffer.alloc(0), 'safekeep.book.device-token.v1', 32));
    this.#random = random;
  }

  issue(username: string): Secret {
    const nonce = this.#random.bytes(NONCE_BYTES);
    return new Secret(`${VERSION}.${nonce.toString('base64url')}.${this.#mac(username, nonce).toString('base64url')}`);
  }

  /** The device id of a valid token of `username` (not secret: it cannot be turned back into the token), else null. */
  deviceOf(username: string, token: Secret | undefined): string | null {
    const match = token === undefined ? null : TOKEN_SHAPE.exec(token.reveal());
    if (!match) return null;
    const [, nonceText = '', macText = ''] = match;
    const nonce = Buffer.from(nonceText, 'base64url');
    const mac = Buffer.from(macText, 'base64url');
    // Only the canonical spelling: otherwise one token would have several, each a device of its own.
    if (nonce.toString('base64url') !== nonceText || mac.toString('base64url') !== macText) return null;
    return timingSafeEqual(mac, this.#mac(username, nonce)) ? nonceText : null;
  }

  #mac(username: string, nonce: Buffer): Buffer {
    return createHmac('sha256', this.#key).update(`${VERSION}\0${username}\0`).update(nonce).digest();
  }
}
