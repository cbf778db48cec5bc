import { headers } from '@nats-io/transport-node';
import type { Clock, TimerHandle } from '../../src/clock/clock.ts';
import type { StoreWrite } from '../../src/store/messages.ts';
import type { KvMirror, PendingBatch } from './kv-mirror.ts';
import { KvCompareFailed, type KvPublisher } from './kv-publisher.ts';

/** A batch record left this long (its node died before materialising it) is materialised by whichever node sees it. */
export const LEFTOVER_BATCH_AGE_MS = 30_000;
const SWEEP_INTERVAL_MS = 10_000;
/** Own batches wait until the store has had no write this long, so their copies do not slow the writes that keep coming... */
const IDLE_MS = 250;
/** ...but no longer than this, nor past this many records. */
const LONGEST_WAIT_MS = 5_000;
const LARGEST_BACKLOG = 1_000;
/** Copies in flight at once while draining. */
const IN_FLIGHT = 32;
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
 * Copies batch records' writes to their documents' own keys, then deletes
 * the records: off the writes' answer path, when the store is idle (or the
 * backlog is old or long), many at once. Each copy is a compare-and-set on
 * the key's sequence just before it, carrying its batch's sequence
 * (`Safekeep-Origin`), and only the newest write of a key is copied, so a
 * newer write (plain, or a later batch's) is never overwritten by an older
 * batch. Two nodes materialising one batch is harmless: the copies' msgIDs
 * make the second a duplicate, and the record's delete is a compare-and-set
 * too.
 */
export class KvMaterialiser {
  readonly #options: MaterialiserOptions;
  readonly #queue = new Set<string>();
  #oldestQueuedAt: number | null = null;
  #running: Promise<void> | null = null;
  #idleTimer: TimerHandle | null = null;
  /** When the store last took a write: the idle timer, when it fires, waits on if one came since it was armed. */
  #lastWriteAt = 0;
  #sweepTimer: TimerHandle | null = null;
  #stopped = false;

  constructor(options: MaterialiserOptions) {
    this.#options = options;
  }

  /** Materialises every batch record the mirror holds now, then sweeps for leftovers now and then. */
  start(): void {
    const found = this.#options.mirror.batches();
    for (const batch of found) this.#queue.add(batch.id);
    if (found.length > 0) this.#drain();
    this.#armSweep();
  }

  /** A batch this node wrote: materialised once the store is idle. */
  enqueue(id: string): void {
    if (this.#stopped) return;
    this.#queue.add(id);
    const now = this.#options.clock.now();
    this.#lastWriteAt = now;
    this.#oldestQueuedAt ??= now;
    if (this.#queue.size >= LARGEST_BACKLOG || now - this.#oldestQueuedAt >= LONGEST_WAIT_MS) this.#drain();
    else if (this.#idleTimer === null) this.#armIdle(IDLE_MS);
  }

  /**
   * The store took a write: whatever waits for idleness waits on. Only the
   * time is kept (no timer is cleared and made again on every write, a cost
   * on each book write's path); the idle timer looks at it when it fires.
   */
  busy(): void {
    this.#lastWriteAt = this.#options.clock.now();
  }

  /** Stops taking batches; waits (a bounded time) for the drain in hand. What is left is another node's, or the next start's. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#queue.clear();
    for (const timer of [this.#idleTimer, this.#sweepTimer]) if (timer !== null) this.#options.clock.clearTimeout(timer);
    this.#idleTimer = this.#sweepTimer = null;
    if (this.#running) await Promise.race([this.#running, new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
  }

  /** Materialises what is queued now and resolves when nothing is (tests and benches). */
  async idle(): Promise<void> {
    if (this.#queue.size > 0) this.#drain();
    while (this.#running) await this.#running;
  }

  /** Drains once the store has had no write for `IDLE_MS`, looking again when `delayMs` is up. */
  #armIdle(delayMs: number): void {
    if (this.#idleTimer !== null) this.#options.clock.clearTimeout(this.#idleTimer);
    this.#idleTimer = this.#options.clock.setTimeout(() => {
      this.#idleTimer = null;
      const quietFor = this.#options.clock.now() - this.#lastWriteAt;
      if (quietFor < IDLE_MS && !this.#stopped) this.#armIdle(IDLE_MS - quietFor);
      else this.#drain();
    }, delayMs);
  }

  #armSweep(): void {
    this.#sweepTimer = this.#options.clock.setTimeout(() => {
      const now = this.#options.clock.now();
      for (const batch of this.#options.mirror.batches()) if (now - batch.at >= LEFTOVER_BATCH_AGE_MS) this.#queue.add(batch.id);
      if (this.#queue.size > 0) this.#drain();
      if (!this.#stopped) this.#armSweep();
    }, SWEEP_INTERVAL_MS);
  }

  /** Takes what is queued now (later batches wait for the next turn) and materialises it; one drain at a time. */
  #drain(): void {
    if (this.#stopped || this.#running) return;
    if (this.#idleTimer !== null) this.#options.clock.clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
    const ids = [...this.#queue];
    this.#queue.clear();
    this.#oldestQueuedAt = null;
    const batches = ids.flatMap((id) => this.#options.mirror.batch(id) ?? []);
    this.#running = this.#materialise(batches)
      // Failed now (no leader, link down): the records stay, and the sweep tries again once they are old.
      .catch(() => undefined)
      .finally(() => {
        this.#running = null;
        if (this.#queue.size > 0 && !this.#stopped) this.#armIdle(IDLE_MS);
      });
  }

  async #materialise(batches: readonly PendingBatch[]): Promise<void> {
    const copies = batches.flatMap((batch) => batch.writes.map((write, index) => ({ batch, write, index })));
    await inFlight(copies, IN_FLIGHT, (copy) => this.#copy(copy.batch, copy.write, copy.index));
    await inFlight(batches, IN_FLIGHT, (batch) => this.#forget(batch));
  }

  /** One write of a batch onto its key, unless a newer write holds the key. */
  async #copy(batch: PendingBatch, write: StoreWrite, index: number): Promise<void> {
    const { mirror, publisher } = this.#options;
    for (let attempt = 0; attempt < COMPARE_ATTEMPTS; attempt++) {
      const slot = mirror.slot(write.collection, write.key);
      if (slot.position > batch.sequence) return; // a newer write holds the key: it wins
      const message = this.#options.documentWrite(write);
      message.headers.set('Safekeep-Origin', String(batch.sequence));
      try {
        await mirror.reached(await publisher.publish({ ...message, msgID: `${batch.id}.${index}`, expectSubjectSequence: slot.subjectSequence }), 10_000);
        return;
      } catch (error) {
        if (!(error instanceof KvCompareFailed)) throw error;
        await this.#options.barrier();
      }
    }
    // Not copied: the record must stay (deleting it would lose the write); the sweep tries again.
    throw new Error(`the key kept changing under ${COMPARE_ATTEMPTS} compare-and-sets`);
  }

  async #forget(batch: PendingBatch): Promise<void> {
    const gone = headers();
    gone.set('KV-Operation', 'DEL');
    gone.set('Safekeep-Node', this.#options.node);
    try {
      await this.#options.publisher.publish({ subject: this.#options.batchSubject(batch.id), payload: '', headers: gone, msgID: `${batch.id}.done`, expectSubjectSequence: batch.sequence });
    } catch (error) {
      if (!(error instanceof KvCompareFailed)) throw error; // another node deleted it first
    }
  }
}

/** Runs `work` over `items`, at most `limit` at once; rejects with the first failure once all have settled. */
async function inFlight<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: unknown = null;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item).catch((error: unknown) => (failure ??= error));
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (failure !== null) throw failure;
}
