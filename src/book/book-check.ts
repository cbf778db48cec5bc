import { isJsonObject } from '../json/is-json-object.ts';
import { GROUP_SEPARATOR } from '../store/group-key.ts';
import { entryKey, type EntryDocument, type EntryRecord, type PendingRecord, type UserRecord } from './book-records.ts';
import { credentialsDigestState, entryDigestState, entryDocumentDigestState, pendingDigestState, type DigestState } from './book-digests.ts';
import { listedEntryId } from './damaged-entry-keys.ts';
import { isEntryNameTag } from './entry-name-tag.ts';

/** What the offline check found in one user's stored book. */
export interface BookDocumentCheck {
  readonly username: string;
  /** The document is not a user's record at all (not an object, another user's name, neither layout): nothing in it can be trusted. */
  readonly recordDamaged: boolean;
  /** Version 1: the entries are still inside (split at the user's next login); `damagedEntries` are theirs. */
  readonly wholeBook: boolean;
  /** The hash, key derivation or wrapped key was altered: this user cannot log in until the record is restored. */
  readonly credentialsDamaged: boolean;
  /** Ids of entries inside a version-1 document whose digest does not match: listed as damaged online, deletable by id. */
  readonly damagedEntries: readonly string[];
  /** Digests not yet written (records from before digests): accepted, and digested at their next rewrite. */
  readonly unchecked: number;
}

/**
 * Checks one stored user document (as read from the `book.users` collection,
 * under the key `username`) without any key or master password: only the
 * digests the book writes are compared. Either layout: a version-2 record
 * (credentials only; its entries are checked by `checkEntryDocument`) or a
 * version-1 one with the whole book inside, entries and all. Pure, and total: any value at all is
 * an answer, never a throw, so `safekeep check` can run it over whatever a
 * damaged disk holds.
 *
 * @example
 * const check = checkBookDocument('ann', documents['ann']);
 * if (check.credentialsDamaged || check.damagedEntries.length > 0) report(check);
 */
export function checkBookDocument(username: string, document: unknown): BookDocumentCheck {
  const wholeBook = isJsonObject(document) && 'entries' in document;
  const layoutKnown = wholeBook ? isJsonObject(document['entries']) : isJsonObject(document) && document['version'] === 2;
  if (!isJsonObject(document) || document['username'] !== username || !layoutKnown) {
    return { username, recordDamaged: true, wholeBook, credentialsDamaged: true, damagedEntries: [], unchecked: 0 };
  }
  let unchecked = 0;
  const count = (state: DigestState) => {
    if (state === 'unchecked') unchecked++;
    return state === 'damaged';
  };
  const credentialsDamaged = count(credentialsDigestState(document as unknown as UserRecord));
  const damagedEntries = Object.entries(wholeBook ? (document['entries'] as Record<string, unknown>) : {})
    .filter(([entryId, entry]) => !isJsonObject(entry) || count(entryDigestState(entryId, entry as unknown as EntryRecord)))
    .map(([entryId]) => entryId)
    .sort();
  return { username, recordDamaged: false, wholeBook, credentialsDamaged, damagedEntries, unchecked };
}

/** What the offline check found in one entry document. */
export interface EntryDocumentCheck {
  /** Whose book the key puts it in (the key's group). */
  readonly username: string;
  /** Its entry id, as the book lists it (`listedEntryId`). */
  readonly entryId: string;
  readonly damaged: boolean;
}

/**
 * Checks one stored entry document (from `book.entries`, under `key`)
 * without the data key: it must be an entry document, stored under its own
 * tag in its user's group, with its digest matching. Whether its box opens,
 * and holds the name its tag stands for, only its owner's login can tell.
 * Pure and total, like `checkBookDocument`.
 *
 * @example
 * const { username, entryId, damaged } = checkEntryDocument(key, documents[key]);
 */
export function checkEntryDocument(key: string, document: unknown): EntryDocumentCheck {
  const at = key.indexOf(GROUP_SEPARATOR);
  const username = at < 0 ? key : key.slice(0, at);
  const entryId = listedEntryId(key, isJsonObject(document) ? document['entryId'] : undefined);
  if (at < 0 || !isJsonObject(document)) return { username, entryId, damaged: true };
  const entry = document as unknown as EntryDocument;
  const wellFormed =
    typeof entry.entryId === 'string' && isEntryNameTag(entry.nameTag) && key === entryKey(username, entry.nameTag) && typeof entry.createdAt === 'number' && typeof entry.updatedAt === 'number';
  return { username, entryId, damaged: !wellFormed || entryDocumentDigestState(username, entry) === 'damaged' };
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
