import { createHmac, createSecretKey, hkdfSync, type KeyObject } from 'node:crypto';

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
  return createHmac('sha256', nameKeyOf(dataKey)).update(name, 'utf8').digest('hex');
}

/**
 * Each data key's name key, derived once: deriving it on every tag was a
 * ninth of an `entry.add`'s CPU under load. Held per data key Buffer, for as
 * long as that Buffer lives (a session's, while it is open). A data key Buffer
 * never changes to another key: a session only zeroes its own when it closes,
 * and no entry is tagged with a closed session's key.
 */
const nameKeys = new WeakMap<Buffer, KeyObject>();

function nameKeyOf(dataKey: Buffer): KeyObject {
  let nameKey = nameKeys.get(dataKey);
  if (!nameKey) {
    const derived = Buffer.from(hkdfSync('sha256', dataKey, Buffer.alloc(0), NAME_KEY_INFO, 32));
    nameKey = createSecretKey(derived);
    derived.fill(0);
    nameKeys.set(dataKey, nameKey);
  }
  return nameKey;
}

/** A tag as the service writes it: 64 hex digits. Anything else under a tag's place is damage. */
export const isEntryNameTag = (value: unknown): value is string => typeof value === 'string' && /^[0-9a-f]{64}$/.test(value);
