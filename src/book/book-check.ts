import { isJsonObject } from '../json/is-json-object.ts';
import type { EntryRecord, PendingRecord, UserRecord } from './book-records.ts';
import { credentialsDigestState, entryDigestState, pendingDigestState, type DigestState } from './book-digests.ts';

/** What the offline check found in one user's stored book. */
export interface BookDocumentCheck {
  readonly username: string;
  /** The document is not a user's book at all (not an object, another user's name, no entries map): nothing in it can be trusted. */
  readonly recordDamaged: boolean;
  /** The hash, key derivation or wrapped key was altered: this user cannot log in until the record is restored. */
  readonly credentialsDamaged: boolean;
  /** Ids of entries whose digest does not match: listed as damaged online, deletable by id. */
  readonly damagedEntries: readonly string[];
  /** Digests not yet written (records from before digests): accepted, and digested at their next rewrite. */
  readonly unchecked: number;
}

/**
 * Checks one stored user document (as read from the `book.users` collection,
 * under the key `username`) without any key or master password: only the
 * digests the book writes are compared. Pure, and total: any value at all is
 * an answer, never a throw, so `safekeep check` can run it over whatever a
 * damaged disk holds.
 *
 * @example
 * const check = checkBookDocument('ann', documents['ann']);
 * if (check.credentialsDamaged || check.damagedEntries.length > 0) report(check);
 */
export function checkBookDocument(username: string, document: unknown): BookDocumentCheck {
  if (!isJsonObject(document) || document['username'] !== username || !isJsonObject(document['entries'])) {
    return { username, recordDamaged: true, credentialsDamaged: true, damagedEntries: [], unchecked: 0 };
  }
  let unchecked = 0;
  const count = (state: DigestState) => {
    if (state === 'unchecked') unchecked++;
    return state === 'damaged';
  };
  const credentialsDamaged = count(credentialsDigestState(document as unknown as UserRecord));
  const damagedEntries = Object.entries(document['entries'])
    .filter(([entryId, entry]) => !isJsonObject(entry) || count(entryDigestState(entryId, entry as unknown as EntryRecord)))
    .map(([entryId]) => entryId)
    .sort();
  return { username, recordDamaged: false, credentialsDamaged, damagedEntries, unchecked };
}

/**
 * Checks one stored inbox record (from `book.pending`, under the key
 * `pendingId`), as `checkBookDocument` does a user's: `damaged` when its
 * digest or its id does not match, `unchecked` when it was written before digests.
 *
 * @example
 * checkPendingDocument('pending_1', documents['pending_1']); // 'intact'
 */
export function checkPendingDocument(pendingId: string, document: unknown): DigestState {
  if (!isJsonObject(document)) return 'damaged';
  return pendingDigestState(pendingId, document as unknown as PendingRecord);
}
