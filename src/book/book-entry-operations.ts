import type { Clock } from '../clock/clock.ts';
import type { IdSource } from '../ids/ids.ts';
import type { KeyedLock } from '../concurrency/keyed-lock.ts';
import { isJsonObject } from '../json/is-json-object.ts';
import type { RandomSource } from '../random/random.ts';
import { Secret } from '../secret/secret.ts';
import type { StoreWrite } from '../store/messages.ts';
import type { BookResults } from './book-messages.ts';
import { openEntryDocument, sealEntry, type EntryRef, type OpenEntry, type StoredEntry } from './book-entries.ts';
import { bookWrites, entryKey, isWholeBook, type BookRecords, type StoredUserRecord, type UserRecord } from './book-records.ts';
import { damagedEntryKey } from './damaged-entry-keys.ts';
import { entryNameTag } from './entry-name-tag.ts';
import { EntryExistsError, EntryIdAmbiguousError, EntryNotFoundError, SessionInvalidError } from './errors.ts';
import type { Session } from './session-table.ts';

/**
 * The entry messages of a logged-in user's book, each on single entry
 * documents: a name is found by its tag's key with one read, so adding,
 * reading, renaming and deleting by name cost the same in a book of 10 as in
 * one of 1,000; only `entry.list` and a delete by id read the user's group.
 * Changes run under the user's lock, shared with the rest of the book.
 *
 * @example
 * const entries = new BookEntryOperations({ records, clock, ids, random, locks });
 * await entries.add(session, 'mail', 'hunter2');
 */
export class BookEntryOperations {
  readonly #deps: { records: BookRecords; clock: Clock; ids: IdSource; random: RandomSource; locks: KeyedLock };
  /** Adds running now, for any user: see addEntry. */
  #adding = 0;

  constructor(deps: { records: BookRecords; clock: Clock; ids: IdSource; random: RandomSource; locks: KeyedLock }) {
    this.#deps = deps;
  }

  add(session: Session, name: string, password: string): Promise<BookResults['entry.add']> {
    return this.#deps.locks.run(session.username, async () => {
      await this.addEntry(session, name, password);
      return { name };
    });
  }

  /**
   * Adds an entry (the caller holds the user's lock), with `alongside` in the same batch (the inbox's
   * removal of the password it files). First from what this node holds, written only if nothing at all
   * was written to the store since: in a cluster that is one round trip, where reading the latest first
   * costs one more. If something was, or what it held says no (an error the latest may not confirm),
   * again from the latest. A store whose reads are always the latest (lowdb) is read once, and so is
   * every store while another add runs on this node: the two would write at once and one would lose.
   */
  async addEntry(session: Session, name: string, password: string, alongside: readonly StoreWrite[] = []): Promise<void> {
    this.#adding++;
    try {
      await this.#addEntry(session, name, password, alongside);
    } finally {
      this.#adding--;
    }
  }

  async #addEntry(session: Session, name: string, password: string, alongside: readonly StoreWrite[]): Promise<void> {
    const held = await this.#addReads(session, name, this.#adding > 1 ? 'latest' : 'held');
    if (held.at === undefined) {
      await this.#deps.records.write([...this.#addWrites(session, name, password, held).writes, ...alongside]);
      return;
    }
    let attempt: NewEntry | null = null;
    if (held.at !== 'mixed') {
      try {
        attempt = this.#addWrites(session, name, password, held);
      } catch {
        // A refusal from what this node holds may be stale: decided on the latest, below.
      }
      if (attempt && (await this.#deps.records.writeIfUnchanged([...attempt.writes, ...alongside], held.at))) return;
    }
    const latest = await this.#addReads(session, name, 'latest');
    // The conditional write may have been stored though its answer was lost (its retry is then a duplicate, never
    // a conflict, on the servers this was tried on): the entry in the name's place is then the one it made.
    const there = latest.stored === undefined ? null : openEntryDocument(session.dataKey, session.username, latest.key, latest.stored);
    if (attempt && there && 'intact' in there && there.intact.entryId === attempt.entryId) return;
    await this.#deps.records.write([...this.#addWrites(session, name, password, latest).writes, ...alongside]);
  }

  /**
   * What adding `name` reads: the name's place, and the user record, whose count of entries ever added
   * numbers the new one. `held` reads what this node holds and says where the store stood (`at`: undefined
   * when that is the latest anyway, 'mixed' when the two reads stood at different places).
   */
  async #addReads(session: Session, name: string, freshness: 'held' | 'latest'): Promise<AddReads> {
    const key = entryKey(session.username, entryNameTag(session.dataKey, name));
    if (freshness === 'latest') {
      const [record, stored] = await Promise.all([this.#deps.records.user(session.username), this.#deps.records.entry(key)]);
      return { record, key, stored, at: undefined };
    }
    const [record, stored] = await Promise.all([this.#deps.records.userAllowingStale(session.username), this.#deps.records.entryAllowingStale(key)]);
    return { record: record.value, key, stored: stored.value, at: record.at === stored.at ? record.at : 'mixed' };
  }

  /**
   * The writes that add an entry, from what `#addReads` read, and the new entry's id. The count alone can
   * repeat an id (a user record restored from an older backup rewinds it; no digest covers it), so the id
   * also holds a draw from the id source: random in production, and recorded, so a replay hands out the
   * same. (Tests count those draws from 1 in every run, which is why the count stays: together they do not
   * repeat within a run or, in production, across runs.)
   */
  #addWrites(session: Session, name: string, password: string, reads: AddReads): NewEntry {
    const record = reads.record;
    if (!record) throw new SessionInvalidError('The session’s user no longer exists');
    const found = reads.stored === undefined ? null : openEntryDocument(session.dataKey, session.username, reads.key, reads.stored);
    if (found && 'intact' in found) throw new EntryExistsError(`The book already has an entry '${name}'`);
    if (isWholeBook(record)) throw new SessionInvalidError('The session’s user record changed; log in again');
    const entriesAdded = entriesAddedTo(record) + 1;
    const now = this.#deps.clock.now();
    const entryId = newEntryId(entriesAdded, this.#deps.ids);
    const added = this.#sealEntry(session, entryId, { name, password }, now, now);
    return { entryId, writes: [...this.#moveAside(session, found), bookWrites.putUser({ ...record, entriesAdded }), bookWrites.putEntry(added.key, added.document)] };
  }

  async list(session: Session): Promise<BookResults['entry.list']> {
    const stored = await this.#openAll(session);
    const intact = stored.flatMap((entry) => ('intact' in entry ? [entry.intact] : []));
    const damaged = stored.flatMap((entry) => ('damaged' in entry ? [entry.damaged] : []));
    return {
      entries: intact
        .map(({ entryId, name, createdAt, updatedAt }) => ({ name, entryId, createdAt, updatedAt }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
      damaged: damaged.sort((a, b) => (a.entryId < b.entryId ? -1 : a.entryId > b.entryId ? 1 : 0)),
    };
  }

  async get(session: Session, name: string): Promise<BookResults['entry.get']> {
    const entry = intactOrNotFound(name, (await this.#entryAt(session, name)).found);
    return { name: entry.name, password: new Secret(entry.password), createdAt: entry.createdAt, updatedAt: entry.updatedAt };
  }

  rename(session: Session, name: string, newName: string): Promise<BookResults['entry.rename']> {
    return this.#deps.locks.run(session.username, async () => {
      const from = await this.#entryAt(session, name);
      const entry = intactOrNotFound(name, from.found);
      const to = newName === name ? from : await this.#entryAt(session, newName);
      if (newName !== name && to.found && 'intact' in to.found) throw new EntryExistsError(`The book already has an entry '${newName}'`);
      // Same entry id, same box binding: only the name (sealed with the password) and its tag change, in one batch.
      const renamed = this.#sealEntry(session, entry.entryId, { name: newName, password: entry.password }, entry.createdAt, this.#deps.clock.now());
      // New place first, old place last: even a store that applied a batch one write at a time would, cut short, keep the entry.
      const writes = newName === name ? [] : [...this.#moveAside(session, to.found)];
      const freed = newName === name ? [] : [bookWrites.deleteEntry(from.key)];
      await this.#deps.records.write([...writes, bookWrites.putEntry(renamed.key, renamed.document), ...freed]);
      return { name: newName };
    });
  }

  /** By name, or by id: a damaged entry has no name anyone can read, and deleting it is how its owner clears it. */
  delete(session: Session, ref: EntryRef): Promise<BookResults['entry.delete']> {
    return this.#deps.locks.run(session.username, async () => {
      if ('name' in ref) {
        const place = await this.#entryAt(session, ref.name);
        intactOrNotFound(ref.name, place.found);
        await this.#deps.records.write([bookWrites.deleteEntry(place.key)]);
        return {};
      }
      // By id means reading the whole book (ids are not keys): a rare repair, not an everyday operation.
      const matches = (await this.#openAll(session)).filter((entry) => ('intact' in entry ? entry.intact : entry.damaged).entryId === ref.entryId);
      const [stored, ...more] = matches;
      if (!stored) throw new EntryNotFoundError(`The book has no entry with id '${ref.entryId}'`);
      if (more.length > 0) {
        const intact = matches.filter((entry) => 'intact' in entry).length;
        throw new EntryIdAmbiguousError(
          `${matches.length} entries have the id '${ref.entryId}' (${intact} intact, ${matches.length - intact} damaged); nothing was deleted: delete an intact one by its name`,
        );
      }
      await this.#deps.records.write([bookWrites.deleteEntry(stored.key)]);
      return {};
    });
  }

  /** What is stored in the place of `name` (its tag's key): one read, nothing else opened. */
  async #entryAt(session: Session, name: string): Promise<{ key: string; found: StoredEntry | null }> {
    const key = entryKey(session.username, entryNameTag(session.dataKey, name));
    const stored = await this.#deps.records.entry(key);
    return { key, found: stored === undefined ? null : openEntryDocument(session.dataKey, session.username, key, stored) };
  }

  async #openAll(session: Session): Promise<StoredEntry[]> {
    return (await this.#deps.records.entries(session.username)).map(([key, stored]) => openEntryDocument(session.dataKey, session.username, key, stored));
  }

  /**
   * A damaged document in a place a name needs is kept, under its content's hash, never
   * lost: it stays listed as damaged until its owner deletes it. (The write
   * that follows into that place replaces it there.)
   */
  #moveAside(session: Session, found: StoredEntry | null): StoreWrite[] {
    if (!found || !('damaged' in found)) return [];
    const kept = { ...(isJsonObject(found.stored) ? found.stored : { stored: found.stored }), entryId: found.damaged.entryId };
    return [bookWrites.putEntry(damagedEntryKey(session.username, kept), kept)];
  }

  #sealEntry(session: Session, entryId: string, plain: { name: string; password: string }, createdAt: number, updatedAt: number) {
    return sealEntry(session.dataKey, session.username, entryId, plain, { createdAt, updatedAt }, this.#deps.random);
  }
}

/** An entry about to be added: its id and the writes that add it. */
interface NewEntry {
  readonly entryId: string;
  readonly writes: StoreWrite[];
}

/** What adding an entry reads (see `#addReads`). */
interface AddReads {
  readonly record: StoredUserRecord | undefined;
  readonly key: string;
  readonly stored: unknown;
  readonly at: number | undefined | 'mixed';
}

/** The entry found under a name's tag, or ENTRY_NOT_FOUND (saying so when what is there is damaged). */
function intactOrNotFound(name: string, found: StoredEntry | null): OpenEntry {
  if (found && 'intact' in found) return found.intact;
  const hint = found ? `; what is stored under that name is damaged (entry.list lists it by id '${found.damaged.entryId}')` : '';
  throw new EntryNotFoundError(`The book has no entry '${name}'${hint}`);
}

/** A count that is not one (a damaged record) counts from the start: ids of a version-1 book (`entry_…`) never look like ours. */
const entriesAddedTo = (record: UserRecord): number => (Number.isSafeInteger(record.entriesAdded) && (record.entriesAdded as number) > 0 ? (record.entriesAdded as number) : 0);

/** `entry-<count>-<draw>`: the draw is what the id source adds after its prefix (`entry_V1StGXR8_Z5j` gives `V1StGXR8_Z5j`). */
function newEntryId(count: number, ids: IdSource): string {
  const drawn = ids.next('entry');
  return `entry-${count}-${drawn.slice('entry'.length).replace(/^[_-]/, '')}`;
}
