import { createHmac, hkdfSync } from 'node:crypto';

// Its own key, derived from the data key, so a tag is never a value made with the key that seals the entries.
const NAME_KEY_INFO = 'safekeep.book.entry-name.v1';

/**
 * An entry name's tag: HMAC-SHA256 of the name under a key derived from the
 * user's data key (HKDF-SHA256), hex. Entries are stored under their tag, so
 * the service finds one by name in one read without opening anything, while
 * the tag tells nothing about the name to anyone without the data key.
 *
 * @example
 * const key = groupKey(session.username, entryNameTag(session.dataKey, 'mail'));
 */
export function entryNameTag(dataKey: Buffer, name: string): string {
  const nameKey = Buffer.from(hkdfSync('sha256', dataKey, Buffer.alloc(0), NAME_KEY_INFO, 32));
  try {
    return createHmac('sha256', nameKey).update(name, 'utf8').digest('hex');
  } finally {
    nameKey.fill(0);
  }
}

/** A tag as the service writes it: 64 hex digits. Anything else under a tag's place is damage. */
export const isEntryNameTag = (value: unknown): value is string => typeof value === 'string' && /^[0-9a-f]{64}$/.test(value);
