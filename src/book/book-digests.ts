import { recordDigest } from '../integrity/record-digest.ts';
import type { EntryDocument, EntryRecord, PendingRecord, UserRecord } from './book-records.ts';

/**
 * The digests the book writes beside its sealed records, and how to read
 * them back. A sealed box can only be checked with its key; these can be
 * checked by anyone, so the offline check (`checkBookDocument`) finds damage
 * without master passwords, and the book tells a damaged record from an
 * intact one before it tries to open it. Each digest covers the record's own
 * key (entry id, username, pending id), so a record moved under another key
 * is damaged too. They guard against damage, not against someone who can
 * rewrite a record and its digest together: the boxes' authentication does.
 */

/** `intact`: the digest matches; `damaged`: it does not, or is no digest; `unchecked`: written before digests. */
export type DigestState = 'intact' | 'damaged' | 'unchecked';

const state = (stored: unknown, expected: () => string): DigestState =>
  stored === undefined ? 'unchecked' : typeof stored === 'string' && stored === expected() ? 'intact' : 'damaged';

const entryDocumentDigestOf = (username: string, entry: Omit<EntryDocument, 'entryDigest'>): string =>
  recordDigest({ username, entryId: entry.entryId, nameTag: entry.nameTag, sealed: entry.sealed, createdAt: entry.createdAt, updatedAt: entry.updatedAt });

/** An entry document with its digest, which covers its owner and tag too: moved under another user or name, it is damaged. */
export function withEntryDocumentDigest(username: string, entry: Omit<EntryDocument, 'entryDigest'>): EntryDocument {
  const { entryId, nameTag, sealed, createdAt, updatedAt } = entry;
  return { entryId, nameTag, sealed, createdAt, updatedAt, entryDigest: entryDocumentDigestOf(username, entry) };
}

/** Every entry document carries a digest, so a missing one is damage too. */
export function entryDocumentDigestState(username: string, entry: EntryDocument): Exclude<DigestState, 'unchecked'> {
  return typeof entry.entryDigest === 'string' && entry.entryDigest === entryDocumentDigestOf(username, entry) ? 'intact' : 'damaged';
}

// Version-1 entries, inside the user document (checked offline, and at the split into documents).
const entryDigestOf = (entryId: string, entry: EntryRecord): string =>
  recordDigest({ entryId, sealed: entry.sealed, createdAt: entry.createdAt, updatedAt: entry.updatedAt });

export function withEntryDigest(entryId: string, entry: EntryRecord): EntryRecord {
  return { sealed: entry.sealed, createdAt: entry.createdAt, updatedAt: entry.updatedAt, entryDigest: entryDigestOf(entryId, entry) };
}

export function entryDigestState(entryId: string, entry: EntryRecord): DigestState {
  return state(entry.entryDigest, () => entryDigestOf(entryId, entry));
}

type Credentials = Pick<UserRecord, 'username' | 'passwordHash' | 'keyDerivation' | 'wrappedKey'>;

const credentialsDigestOf = (user: Credentials): string =>
  recordDigest({ username: user.username, passwordHash: user.passwordHash, keyDerivation: user.keyDerivation, wrappedKey: user.wrappedKey });

/** The record with its credentials digest set from its current credential fields. */
export function withCredentialsDigest<T extends Credentials>(user: T): T & { credentialsDigest: string } {
  return { ...user, credentialsDigest: credentialsDigestOf(user) };
}

export function credentialsDigestState(user: Credentials & { readonly credentialsDigest?: unknown }): DigestState {
  return state(user.credentialsDigest, () => credentialsDigestOf(user));
}

const pendingDigestOf = (record: PendingRecord): string =>
  recordDigest({ pendingId: record.pendingId, receivedAt: record.receivedAt, sealed: record.sealed });

export function withPendingDigest(record: PendingRecord): PendingRecord {
  return { pendingId: record.pendingId, receivedAt: record.receivedAt, sealed: record.sealed, pendingDigest: pendingDigestOf(record) };
}

/** `pendingId` is the key the record is stored under: a record that names another id is damaged. */
export function pendingDigestState(pendingId: string, record: PendingRecord): DigestState {
  if (record.pendingId !== pendingId) return 'damaged';
  return state(record.pendingDigest, () => pendingDigestOf(record));
}
