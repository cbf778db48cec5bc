import { createCipheriv, createDecipheriv } from 'node:crypto';
import type { RandomSource } from '../random/random.ts';
import { VaultIntegrityError } from './errors.ts';

/** AES-256-GCM ciphertext as stored: base64 nonce, and base64 ciphertext with its 16-byte tag appended. */
export interface SealedBox {
  readonly iv: string;
  readonly data: string;
}

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_BYTES = 32;

/**
 * Encrypts `plaintext` under `key` with a fresh random nonce. `context` is
 * authenticated but not stored: it names what the box belongs to (owner,
 * entry), so a box copied anywhere else fails to open.
 */
export function seal(key: Buffer, plaintext: Buffer, context: string, random: RandomSource): SealedBox {
  const iv = random.bytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const data = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return { iv: iv.toString('base64'), data: data.toString('base64') };
}

/** Decrypts a box sealed for `context`; any change to the box, the key or the context throws VaultIntegrityError. */
export function open(key: Buffer, box: SealedBox, context: string): Buffer {
  try {
    const iv = Buffer.from(box.iv, 'base64');
    const data = Buffer.from(box.data, 'base64');
    if (iv.length !== IV_BYTES || data.length < TAG_BYTES) throw new Error('malformed box');
    const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    return Buffer.concat([decipher.update(data.subarray(0, data.length - TAG_BYTES)), decipher.final()]);
  } catch (cause) {
    throw new VaultIntegrityError('Stored data failed its integrity check; it was not decrypted', { cause });
  }
}
