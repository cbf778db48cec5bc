import { isJsonObject } from '../json/is-json-object.ts';
import type { RandomSource } from '../random/random.ts';
import { entryDigestState, withEntryDigest } from './book-digests.ts';
import type { EntryRecord } from './book-records.ts';
import { EntryNotFoundError, VaultIntegrityError } from './errors.ts';
import { open, seal } from './sealed-box.ts';

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

// What each entry's ciphertext is bound to: moved to another user or entry, it fails to open.
const entryContext = (username: string, entryId: string) => `safekeep.book.entry.v1\0${username}\0${entryId}`;

/**
 * Opens every entry of a book it can, and sets the rest apart as damaged, so
 * one bad record costs one entry, never the book. An entry is damaged when
 * its digest does not match, or its box does not open (an entry written
 * before digests is only found this way), or what it holds is not an entry.
 */
export function openEntries(dataKey: Buffer, username: string, entries: unknown): { intact: OpenEntry[]; damaged: DamagedEntry[] } {
  const intact: OpenEntry[] = [];
  const damaged: DamagedEntry[] = [];
  if (!isJsonObject(entries)) return { intact, damaged };
  for (const [entryId, stored] of Object.entries(entries)) {
    const opened = isJsonObject(stored) ? openEntry(dataKey, username, entryId, stored as unknown as EntryRecord) : null;
    if (opened) intact.push(opened);
    else damaged.push({ entryId, createdAt: numberOrNull(isJsonObject(stored) ? stored['createdAt'] : null), updatedAt: numberOrNull(isJsonObject(stored) ? stored['updatedAt'] : null) });
  }
  return { intact, damaged };
}

function openEntry(dataKey: Buffer, username: string, entryId: string, stored: EntryRecord): OpenEntry | null {
  if (entryDigestState(entryId, stored) === 'damaged') return null;
  let plain: unknown;
  try {
    plain = JSON.parse(open(dataKey, stored.sealed, entryContext(username, entryId)).toString('utf8'));
  } catch (error) {
    // Authentication failed (or, past it, the text is not JSON: a bug of an old version, never an attacker's doing): damaged.
    if (error instanceof VaultIntegrityError || error instanceof SyntaxError) return null;
    throw error;
  }
  if (!isJsonObject(plain) || typeof plain['name'] !== 'string' || typeof plain['password'] !== 'string') return null;
  if (typeof stored.createdAt !== 'number' || typeof stored.updatedAt !== 'number') return null;
  return { entryId, name: plain['name'], password: plain['password'], createdAt: stored.createdAt, updatedAt: stored.updatedAt };
}

/** A new sealed, digested entry record. */
export function sealEntry(
  dataKey: Buffer,
  username: string,
  entryId: string,
  plain: { name: string; password: string },
  times: { createdAt: number; updatedAt: number },
  random: RandomSource,
): EntryRecord {
  const sealed = seal(dataKey, Buffer.from(JSON.stringify(plain), 'utf8'), entryContext(username, entryId), random);
  return withEntryDigest(entryId, { sealed, ...times });
}

/**
 * The entries to store after a change: intact entries written before digests
 * get one now (they just opened, so they are what their owner wrote);
 * damaged ones stay exactly as they were, found again by every later check,
 * until their owner deletes them.
 */
export function digestedEntries(entries: Readonly<Record<string, EntryRecord>>, intactIds: ReadonlySet<string>): Record<string, EntryRecord> {
  // No prototype: an id read from a damaged file may be '__proto__'.
  const result = Object.create(null) as Record<string, EntryRecord>;
  for (const [entryId, entry] of Object.entries(entries)) {
    result[entryId] = entry.entryDigest === undefined && intactIds.has(entryId) ? withEntryDigest(entryId, entry) : entry;
  }
  return result;
}

const numberOrNull = (value: unknown): number | null => (typeof value === 'number' ? value : null);

/** A book as opened: what can be read, and what is damaged. */
export type OpenBook = { readonly intact: OpenEntry[]; readonly damaged: DamagedEntry[] };
/** Which entry: by name (intact ones only) or by id. */
export type EntryRef = { readonly name: string } | { readonly entryId: string };

/** An intact entry by name or id, or a damaged one by id (deleting is all it is good for). */
export function findEntry(book: OpenBook, ref: { name: string }): OpenEntry;
export function findEntry(book: OpenBook, ref: EntryRef): OpenEntry | DamagedEntry;
export function findEntry(book: OpenBook, ref: EntryRef): OpenEntry | DamagedEntry {
  if ('name' in ref) {
    const entry = book.intact.find((candidate) => candidate.name === ref.name);
    if (entry) return entry;
    const hint = book.damaged.length > 0 ? `; ${book.damaged.length} damaged ${book.damaged.length === 1 ? 'entry has' : 'entries have'} no readable name (see entry.list)` : '';
    throw new EntryNotFoundError(`The book has no entry '${ref.name}'${hint}`);
  }
  const entry = book.intact.find((candidate) => candidate.entryId === ref.entryId) ?? book.damaged.find((candidate) => candidate.entryId === ref.entryId);
  if (!entry) throw new EntryNotFoundError(`The book has no entry with id '${ref.entryId}'`);
  return entry;
}
