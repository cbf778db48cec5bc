import { headers } from '@nats-io/transport-node';
import type { Clock, TimerHandle } from '../../src/clock/clock.ts';
import type { StoreWrite } from '../../src/store/messages.ts';
import type { KvMirror, PendingBatch } from './kv-mirror.ts';
import { KvCompareFailed, type KvPublisher } from './kv-publisher.ts';

/** A batch record left this long (its node died before materialising it) is materialised by whichever node sees it. */
export const LEFTOVER_BATCH_AGE_MS = 30_000;
const SWEEP_INTERVAL_MS = 10_000;
const COMPARE_ATTEMPTS = 5;

export interface MaterialiserOptions {
  readonly mirror: KvMirror;
  readonly publisher: KvPublisher;
  readonly clock: Clock;
  readonly node: string;
  /** The subject and headers of one document's write, as the store sends them. */
  readonly documentWrite: (write: StoreWrite) => { subject: string; payload: string; headers: ReturnType<typeof headers> };
  readonly batchSubject: (id: string) => string;
  /** Waits until the mirror holds every acknowledged write (after a compare-and-set lost, to look again). */
  readonly barrier: () => Promise<void>;
}

/**
 * Copies a batch record's writes to their documents' own keys, then deletes
 * the record: off the write's answer path, one batch at a time. Each copy is
 * a compare-and-set on the key's sequence just before it, carrying the
 * batch's sequence (`Safekeep-Origin`), so a newer write of the key (plain, or
 * a later batch's) is never overwritten by an older batch. Two nodes
 * materialising one batch is harmless: the copies' msgIDs make the second a
 * duplicate, and the record's delete is a compare-and-set too.
 */
export class KvMaterialiser {
  readonly #options: MaterialiserOptions;
  readonly #queue = new Set<string>();
  #running: Promise<void> | null = null;
  #timer: TimerHandle | null = null;
  #stopped = false;

  constructor(options: MaterialiserOptions) {
    this.#options = options;
  }

  /** Materialises every batch record the mirror holds now, then sweeps for leftovers now and then. */
  start(): void {
    for (const batch of this.#options.mirror.batches()) this.enqueue(batch.id);
    this.#arm();
  }

  enqueue(id: string): void {
    if (this.#stopped) return;
    this.#queue.add(id);
    this.#running ??= this.#drain().finally(() => (this.#running = null));
  }

  /** Stops taking batches; waits (a bounded time) for the one in hand. What is left is another node's, or the next start's. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#queue.clear();
    if (this.#timer !== null) this.#options.clock.clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#running) await Promise.race([this.#running, new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
  }

  /** Resolves when nothing is queued (tests and benches). */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  #arm(): void {
    this.#timer = this.#options.clock.setTimeout(() => {
      const now = this.#options.clock.now();
      for (const batch of this.#options.mirror.batches()) if (now - batch.at >= LEFTOVER_BATCH_AGE_MS) this.enqueue(batch.id);
      if (!this.#stopped) this.#arm();
    }, SWEEP_INTERVAL_MS);
  }

  async #drain(): Promise<void> {
    for (const id of this.#queue) {
      this.#queue.delete(id);
      if (this.#stopped) return;
      const batch = this.#options.mirror.batch(id);
      // Failed now (no leader, link down): the record stays, and the sweep tries again once it is old.
      if (batch) await this.#materialise(batch).catch(() => undefined);
    }
  }

  async #materialise(batch: PendingBatch): Promise<void> {
    const { mirror, publisher } = this.#options;
    for (const [index, write] of batch.writes.entries()) {
      for (let attempt = 0; attempt < COMPARE_ATTEMPTS; attempt++) {
        const slot = mirror.slot(write.collection, write.key);
        if (slot.position > batch.sequence) break; // a newer write holds the key: it wins
        const message = this.#options.documentWrite(write);
        message.headers.set('Safekeep-Origin', String(batch.sequence));
        try {
          const sequence = await publisher.publish({ ...message, msgID: `${batch.id}.${index}`, expectSubjectSequence: slot.subjectSequence });
          await mirror.reached(sequence, 10_000);
          break;
        } catch (error) {
          if (!(error instanceof KvCompareFailed)) throw error;
          await this.#options.barrier();
        }
      }
    }
    const gone = headers();
    gone.set('KV-Operation', 'DEL');
    gone.set('Safekeep-Node', this.#options.node);
    try {
      await publisher.publish({ subject: this.#options.batchSubject(batch.id), payload: '', headers: gone, msgID: `${batch.id}.done`, expectSubjectSequence: batch.sequence });
    } catch (error) {
      if (!(error instanceof KvCompareFailed)) throw error; // another node deleted it first
    }
  }
}
