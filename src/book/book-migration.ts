import { isJsonObject } from '../json/is-json-object.ts';
import type { StoreWrite } from '../store/messages.ts';
import { credentialsDigestState, entryDigestState, withCredentialsDigest } from './book-digests.ts';
import { openSealedEntry, tagEntry } from './book-entries.ts';
import { damagedEntryKey } from './damaged-entry-keys.ts';
import { bookWrites, type EntryRecord, type UserRecord, type WholeBookRecord } from './book-records.ts';

/**
 * The writes that split a version-1 user document (the whole book inside)
 * into a version-2 credentials record and one document per entry. They are
 * meant for ONE batch: a crash leaves the old layout or the new one, never
 * half of each. It needs the data key (the name tags are made with it), so it
 * runs at the user's login, just after the key is unwrapped.
 *
 * Every entry moves: one that opens goes under its name's tag, its box as it
 * is (bound to the username and entry id, which do not change) and digested
 * anew; one that does not (or a second one of the same name, which no
 * version ever wrote) goes under `damagedEntryKey` (its content's hash) as it was stored,
 * still listed as damaged and deletable by id. Credentials from before
 * digests get theirs now: this login has just proved them.
 *
 * @example
 * if (isWholeBook(record)) await records.write(splitWholeBook(dataKey, record));
 */
export function splitWholeBook(dataKey: Buffer, record: WholeBookRecord): StoreWrite[] {
  const { entries, version: _version, ...credentials } = record;
  const { username } = record;
  const user: UserRecord = { ...credentials, version: 2 };
  const writes: StoreWrite[] = [];
  const taken = new Set<string>();
  for (const [entryId, stored] of isJsonObject(entries) ? Object.entries(entries) : []) {
    const moved = isJsonObject(stored) ? openWholeBookEntry(dataKey, username, entryId, stored as unknown as EntryRecord) : null;
    if (moved && !taken.has(moved.key)) {
      taken.add(moved.key);
      writes.push(bookWrites.putEntry(moved.key, moved.document));
    } else {
      const kept = { ...(isJsonObject(stored) ? stored : { stored }), entryId };
      writes.push(bookWrites.putEntry(damagedEntryKey(username, kept), kept));
    }
  }
  // The record last: a store that applied a batch one write at a time (the interim one) would, cut short, leave
  // the version-1 record whole, to be split again at the next login, never a version-2 record short of entries.
  writes.push(bookWrites.putUser(credentialsDigestState(user) === 'unchecked' ? withCredentialsDigest(user) : user));
  return writes;
}

function openWholeBookEntry(dataKey: Buffer, username: string, entryId: string, stored: EntryRecord) {
  if (entryDigestState(entryId, stored) === 'damaged') return null;
  if (typeof stored.createdAt !== 'number' || typeof stored.updatedAt !== 'number') return null;
  const plain = openSealedEntry(dataKey, username, entryId, stored.sealed);
  if (!plain) return null;
  return tagEntry(dataKey, username, { entryId, name: plain.name, sealed: stored.sealed, createdAt: stored.createdAt, updatedAt: stored.updatedAt });
}
