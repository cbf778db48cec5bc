import { GROUP_SEPARATOR } from '../../src/store/group-key.ts';
import type { StoreWrite } from '../../src/store/messages.ts';

/**
 * One document as the mirror holds it. `position` orders writes: a plain
 * write's own stream sequence, or for a write of a batch the batch record's
 * sequence (also when a materialiser copies it to the key later). A deleted
 * document stays as a tombstone so an older batch never brings it back.
 */
interface MirroredDocument {
  value: unknown;
  present: boolean;
  position: number;
  /** The last sequence on the document's own KV key (0: none): what a materialiser's compare-and-set expects. */
  subjectSequence: number;
}

/** A batch record seen in the bucket and not yet deleted by a materialiser. */
export interface PendingBatch {
  readonly id: string;
  readonly sequence: number;
  readonly node: string;
  readonly at: number;
  readonly writes: readonly StoreWrite[];
}

/** A change to one document that the mirror applied: what `store.changed` reports for other nodes' writes. */
export interface MirrorChange {
  readonly collection: string;
  readonly key: string;
  readonly value?: unknown;
  readonly deleted?: true;
}

class MirroredCollection {
  readonly documents = new Map<string, MirroredDocument>();
  readonly groups = new Map<string, Set<string>>();
  present = 0;

  entry(key: string): MirroredDocument {
    let document = this.documents.get(key);
    if (!document) {
      document = { value: undefined, present: false, position: 0, subjectSequence: 0 };
      this.documents.set(key, document);
    }
    return document;
  }

  set(key: string, document: MirroredDocument, present: boolean, value: unknown): void {
    if (present !== document.present) {
      this.present += present ? 1 : -1;
      const separator = key.indexOf(GROUP_SEPARATOR);
      if (separator >= 0) {
        const group = key.slice(0, separator);
        let members = this.groups.get(group);
        if (!members) this.groups.set(group, (members = new Set()));
        if (present) members.add(key);
        else {
          members.delete(key);
          if (members.size === 0) this.groups.delete(group);
        }
      }
    }
    document.present = present;
    document.value = present ? value : undefined;
  }

  keys(group: string | undefined): string[] {
    if (group !== undefined) return [...(this.groups.get(group) ?? [])];
    const keys: string[] = [];
    for (const [key, document] of this.documents) if (document.present) keys.push(key);
    return keys;
  }
}

/**
 * The whole store bucket in memory, applied in stream order from a watch:
 * reads are answered from it once it has applied at least the stream's last
 * sequence with no sequence skipped since that was asked (the read barrier),
 * so no read misses an acknowledged write.
 */
export class KvMirror {
  readonly #collections = new Map<string, MirroredCollection>();
  readonly #batches = new Map<string, PendingBatch>();
  readonly #waiters = new Set<{ readonly sequence: number; settle(done: boolean): void }>();
  #applied = 0;
  #gaps = 0;

  /** The highest stream sequence applied. */
  get applied(): number {
    return this.#applied;
  }

  /**
   * How many times the stream skipped sequences on the way here: messages it
   * no longer held when they were read, each removed by a later message to
   * the same key (history 1: a document written again, a batch record
   * deleted once materialised). Until the mirror applies that later message
   * it lacks what the removed one said: see the read barrier.
   */
  get gaps(): number {
    return this.#gaps;
  }

  /**
   * Resolves true once the mirror has applied `sequence` (at once if it has),
   * false if that takes longer than `boundMs` or `release()` comes first.
   */
  reached(sequence: number, boundMs: number): Promise<boolean> {
    if (this.#applied >= sequence) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = {
        sequence,
        settle: (done: boolean) => {
          clearTimeout(timer);
          this.#waiters.delete(waiter);
          resolve(done);
        },
      };
      const timer = setTimeout(() => waiter.settle(false), boundMs).unref();
      this.#waiters.add(waiter);
    });
  }

  /** Ends every wait (false): the link dropped, or the store stops. */
  release(): void {
    for (const waiter of [...this.#waiters]) waiter.settle(false);
  }

  /** A write to one document's own key (a plain write, or a materialiser's copy of a batch's write, `origin` its batch's sequence). */
  applyDocument(sequence: number, collection: string, key: string, write: { present: boolean; value?: unknown; origin?: number }): MirrorChange | null {
    const documents = this.#collection(collection);
    const document = documents.entry(key);
    document.subjectSequence = sequence;
    const position = write.origin ?? sequence;
    let change: MirrorChange | null = null;
    // A materialised copy of an older batch than the one the document holds now changes nothing.
    if (position >= document.position) {
      // A copy of a batch this mirror applied changes nothing either; one whose record it never saw (removed before it was read) does.
      const news = write.origin === undefined || document.position < write.origin;
      document.position = position;
      if (news) change = write.present ? { collection, key, value: write.value } : { collection, key, deleted: true };
      documents.set(key, document, write.present, write.value);
    }
    this.advance(sequence);
    return change;
  }

  /** A batch record: its writes become visible together, each at the record's sequence. */
  applyBatch(batch: PendingBatch): MirrorChange[] {
    this.#batches.set(batch.id, batch);
    const changes: MirrorChange[] = [];
    for (const write of batch.writes) {
      const documents = this.#collection(write.collection);
      const document = documents.entry(write.key);
      document.position = batch.sequence;
      const present = write.op === 'put';
      documents.set(write.key, document, present, present ? write.value : undefined);
      changes.push(present ? { collection: write.collection, key: write.key, value: write.value } : { collection: write.collection, key: write.key, deleted: true });
    }
    this.advance(batch.sequence);
    return changes;
  }

  /** The batch record is gone (materialised): its writes stay where they are. */
  forgetBatch(sequence: number, id: string): void {
    this.#batches.delete(id);
    this.advance(sequence);
  }

  /** A message with nothing to apply (not safekeep's) still moves the mirror on. */
  advance(sequence: number): void {
    if (sequence <= this.#applied) return;
    if (sequence > this.#applied + 1) this.#gaps++;
    this.#applied = sequence;
    for (const waiter of [...this.#waiters]) if (waiter.sequence <= sequence) waiter.settle(true);
  }

  batches(): PendingBatch[] {
    return [...this.#batches.values()];
  }

  batch(id: string): PendingBatch | undefined {
    return this.#batches.get(id);
  }

  /** What a materialiser of a write at `position` must know: whether a newer write holds the key, and the key's last sequence. */
  slot(collection: string, key: string): { readonly position: number; readonly subjectSequence: number } {
    const document = this.#collections.get(collection)?.documents.get(key);
    return { position: document?.position ?? 0, subjectSequence: document?.subjectSequence ?? 0 };
  }

  // Copies, as the lowdb store hands out: a caller that changes what it read must not change the mirror.
  get(collection: string, key: string): unknown {
    const document = this.#collections.get(collection)?.documents.get(key);
    return document?.present ? structuredClone(document.value) : undefined;
  }

  list(collection: string, group: string | undefined): Record<string, unknown> {
    const documents = this.#collections.get(collection);
    if (!documents) return {};
    // fromEntries defines properties, so a key like `__proto__` stays a plain key.
    return Object.fromEntries(documents.keys(group).map((key) => [key, structuredClone(documents.documents.get(key)?.value)]));
  }

  keys(collection: string, group: string | undefined): string[] {
    return this.#collections.get(collection)?.keys(group) ?? [];
  }

  count(collection: string): number {
    return this.#collections.get(collection)?.present ?? 0;
  }

  #collection(name: string): MirroredCollection {
    let collection = this.#collections.get(name);
    if (!collection) this.#collections.set(name, (collection = new MirroredCollection()));
    return collection;
  }
}
