import { isJsonObject } from '../json/is-json-object.ts';
import type { RandomSource } from '../random/random.ts';
import { entryDocumentDigestState, withEntryDocumentDigest } from './book-digests.ts';
import { entryKey, type EntryDocument } from './book-records.ts';
import { listedEntryId } from './damaged-entry-keys.ts';
import { entryNameTag, isEntryNameTag } from './entry-name-tag.ts';
import { VaultIntegrityError } from './errors.ts';
import { open, seal, type SealedBox } from './sealed-box.ts';

/** An entry its owner can read. */
export interface OpenEntry {
  readonly entryId: string;
  readonly name: string;
  readonly password: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** An entry that failed its digest or its box's authentication: no name can be read, so it is known by its id. */
export interface DamagedEntry {
  readonly entryId: string;
  /** As stored, when still a number; the times are not secret, but they may be what was damaged. */
  readonly createdAt: number | null;
  readonly updatedAt: number | null;
}

/** One stored entry document as opened: what it holds, or that it is damaged. Either way, the key it is stored under. */
export type StoredEntry = { readonly key: string } & ({ readonly intact: OpenEntry } | { readonly damaged: DamagedEntry; readonly stored: unknown });

// What each entry's ciphertext is bound to: moved to another user or entry, it fails to open.
const entryContext = (username: string, entryId: string) => `safekeep.book.entry.v1\0${username}\0${entryId}`;

/**
 * Opens one entry document found under `key`. It is damaged when it is not
 * an entry document, its digest does not match, it is not stored under its
 * own tag, its box does not open, or the name inside is not the one its tag
 * stands for; a damaged one is known by `listedEntryId` (its entry id, or a
 * stand-in made from its key), so its owner can delete it. Never throws on
 * what a damaged disk holds.
 */
export function openEntryDocument(dataKey: Buffer, username: string, key: string, stored: unknown): StoredEntry {
  const opened = isJsonObject(stored) ? openIntact(dataKey, username, key, stored as unknown as EntryDocument) : null;
  if (opened) return { key, intact: opened };
  const field = (name: string): unknown => (isJsonObject(stored) ? stored[name] : undefined);
  return {
    key,
    stored,
    damaged: {
      entryId: listedEntryId(key, field('entryId')),
      createdAt: numberOrNull(field('createdAt')),
      updatedAt: numberOrNull(field('updatedAt')),
    },
  };
}

function openIntact(dataKey: Buffer, username: string, key: string, stored: EntryDocument): OpenEntry | null {
  if (typeof stored.entryId !== 'string' || !isEntryNameTag(stored.nameTag) || key !== entryKey(username, stored.nameTag)) return null;
  if (typeof stored.createdAt !== 'number' || typeof stored.updatedAt !== 'number') return null;
  if (entryDocumentDigestState(username, stored) === 'damaged') return null;
  const plain = openSealedEntry(dataKey, username, stored.entryId, stored.sealed);
  if (!plain || entryNameTag(dataKey, plain.name) !== stored.nameTag) return null;
  return { entryId: stored.entryId, name: plain.name, password: plain.password, createdAt: stored.createdAt, updatedAt: stored.updatedAt };
}

/** The name and password sealed in an entry's box, or null when it does not open (or does not hold an entry). */
export function openSealedEntry(dataKey: Buffer, username: string, entryId: string, sealed: SealedBox): { name: string; password: string } | null {
  let plain: unknown;
  try {
    plain = JSON.parse(open(dataKey, sealed, entryContext(username, entryId)).toString('utf8'));
  } catch (error) {
    // Authentication failed (or, past it, the text is not JSON: a bug of an old version, never an attacker's doing): damaged.
    if (error instanceof VaultIntegrityError || error instanceof SyntaxError) return null;
    throw error;
  }
  if (!isJsonObject(plain) || typeof plain['name'] !== 'string' || typeof plain['password'] !== 'string') return null;
  return { name: plain['name'], password: plain['password'] };
}

/** A new entry document and the key it goes under: sealed, tagged, digested. */
export function sealEntry(
  dataKey: Buffer,
  username: string,
  entryId: string,
  plain: { name: string; password: string },
  times: { createdAt: number; updatedAt: number },
  random: RandomSource,
): { key: string; document: EntryDocument } {
  const sealed = seal(dataKey, Buffer.from(JSON.stringify(plain), 'utf8'), entryContext(username, entryId), random);
  return tagEntry(dataKey, username, { entryId, name: plain.name, sealed, ...times });
}

/** An entry document for a box that is already sealed (a version-1 entry moving into its own document). */
export function tagEntry(
  dataKey: Buffer,
  username: string,
  entry: { entryId: string; name: string; sealed: SealedBox; createdAt: number; updatedAt: number },
): { key: string; document: EntryDocument } {
  const nameTag = entryNameTag(dataKey, entry.name);
  const { entryId, sealed, createdAt, updatedAt } = entry;
  return { key: entryKey(username, nameTag), document: withEntryDocumentDigest(username, { entryId, nameTag, sealed, createdAt, updatedAt }) };
}

const numberOrNull = (value: unknown): number | null => (typeof value === 'number' ? value : null);

/** Which entry: by name (intact ones only) or by id. */
export type EntryRef = { readonly name: string } | { readonly entryId: string };
