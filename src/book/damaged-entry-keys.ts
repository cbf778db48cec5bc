import { createHash } from 'node:crypto';
import { FIELD_RULES } from './book-messages.ts';
import { entryKey } from './book-records.ts';

const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * Where a damaged entry document is kept when its place is needed (or a
 * version-1 one, with no readable name to be tagged by): under the SHA-256 of
 * the document as it is kept there, entry id and all. Not under its id: that
 * comes from the damaged document itself, so it may be of any length (a key
 * past the store's limit refuses the whole batch, a version-1 split with it)
 * and two damaged documents may claim the same one (one copy would replace
 * the other). A hash is bounded, and the same only for the same content.
 *
 * @example
 * const kept = { ...stored, entryId };
 * bookWrites.putEntry(damagedEntryKey('ann', kept), kept);
 */
export const damagedEntryKey = (username: string, kept: unknown): string => entryKey(username, `damaged-${sha256Hex(JSON.stringify(kept) ?? 'null')}`);

/**
 * How a damaged entry with no readable id is listed (and deleted): a stable
 * stand-in made from its key, never the key itself, whose end may be the tag
 * of a name (made with the data key, so kept out of replies and recordings).
 *
 * @example
 * unreadableEntryId(`ann\u0000${tag}`); // 'damaged-3f79bb7b435b'
 */
export const unreadableEntryId = (key: string): string => `damaged-${sha256Hex(key).slice(0, 12)}`;

/**
 * The id a damaged entry is listed by: the one stored in it when a request
 * could name it (1 to 64 characters: `entry.delete` takes no longer one),
 * else `unreadableEntryId` of its key, so every damaged entry can be deleted.
 */
export function listedEntryId(key: string, stored: unknown): string {
  const { minLength, maxLength } = FIELD_RULES.entryId;
  return typeof stored === 'string' && stored.length >= minLength && stored.length <= maxLength ? stored : unreadableEntryId(key);
}
