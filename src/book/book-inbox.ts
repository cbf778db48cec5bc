import type { Clock } from '../clock/clock.ts';
import type { IdSource } from '../ids/ids.ts';
import { isJsonObject } from '../json/is-json-object.ts';
import type { RandomSource } from '../random/random.ts';
import { checkPendingDocument } from './book-check.ts';
import { withPendingDigest } from './book-digests.ts';
import type { BookRecords, PendingRecord } from './book-records.ts';
import { VaultIntegrityError } from './errors.ts';
import { open, seal } from './sealed-box.ts';

/** An inbox record as listed: `record` is null when it is damaged (it is then never opened). */
export interface InboxItem {
  readonly pendingId: string;
  readonly receivedAt: number | null;
  readonly record: PendingRecord | null;
}

// What each inbox box is bound to: moved under another id, it fails to open.
const pendingContext = (pendingId: string) => `safekeep.book.pending.v1\0${pendingId}`;

/**
 * The inbox of generated passwords waiting to be filed (what the seed's
 * `save_password` fed): each sealed under the service key and stored with a
 * digest, so a damaged one is set apart and the others stay usable.
 */
export class BookInbox {
  readonly #deps: { records: BookRecords; clock: Clock; ids: IdSource; random: RandomSource; serviceKey: Buffer; pendingTtlMs: number };

  constructor(deps: { records: BookRecords; clock: Clock; ids: IdSource; random: RandomSource; serviceKey: Buffer; pendingTtlMs: number }) {
    this.#deps = deps;
  }

  /** Seals and stores `password`; resolves with its id once it is durable. */
  async put(password: string): Promise<string> {
    const { ids, clock, random, serviceKey, records } = this.#deps;
    // Ids are unique per process; the inbox outlives processes, so check.
    let pendingId = ids.next('pending');
    while (await records.hasPending(pendingId)) pendingId = ids.next('pending');
    const sealed = seal(serviceKey, Buffer.from(password, 'utf8'), pendingContext(pendingId), random);
    await records.savePending(withPendingDigest({ pendingId, receivedAt: clock.now(), sealed }));
    return pendingId;
  }

  /**
   * Records not yet expired, newest first, intact apart from damaged; expired ones are deleted on the way.
   * A damaged record whose time cannot be read is kept, never deleted on a guess: its owner sees it listed.
   */
  async live(): Promise<{ intact: InboxItem[]; damaged: InboxItem[] }> {
    const { clock, records, pendingTtlMs } = this.#deps;
    const oldest = clock.now() - pendingTtlMs;
    const all = (await records.pending()).map(([pendingId, document]): InboxItem => {
      const receivedAt = isJsonObject(document) && typeof document['receivedAt'] === 'number' ? document['receivedAt'] : null;
      const damaged = receivedAt === null || checkPendingDocument(pendingId, document) === 'damaged';
      return { pendingId, receivedAt, record: damaged ? null : (document as PendingRecord) };
    });
    const expired = (item: InboxItem) => item.receivedAt !== null && item.receivedAt < oldest;
    await Promise.all(all.filter(expired).map((item) => records.deletePending(item.pendingId)));
    const live = all.filter((item) => !expired(item)).sort((a, b) => (b.receivedAt ?? 0) - (a.receivedAt ?? 0) || (a.pendingId < b.pendingId ? 1 : -1));
    return { intact: live.filter((item) => item.record !== null), damaged: live.filter((item) => item.record === null) };
  }

  /** The password an item holds; VAULT_INTEGRITY for a damaged one (found by its digest, or by its box). */
  open(item: InboxItem): string {
    if (item.record === null) throw new VaultIntegrityError(`The generated password '${item.pendingId}' is damaged; it cannot be filed`);
    return open(this.#deps.serviceKey, item.record.sealed, pendingContext(item.pendingId)).toString('utf8');
  }

  delete(pendingId: string): Promise<void> {
    return this.#deps.records.deletePending(pendingId);
  }
}
