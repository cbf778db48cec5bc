import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Clock, TimerHandle } from '../../src/clock/clock.ts';
import type { ShardedCollection } from './sharded-collection.ts';
import type { WriteAheadLog } from './write-ahead-log.ts';
import { encodeLogRecord, writesJson } from './log-record.ts';

/** The steps of a checkpoint, in order; a kill after any of them must lose nothing (tests stop there). */
export type CheckpointStep = 'rolled' | 'shard-written' | 'index-written' | 'carried-forward' | 'segments-deleted';

export interface CheckpointerOptions {
  readonly log: WriteAheadLog;
  readonly collections: () => Iterable<ShardedCollection>;
  readonly storeDir: string;
  /** Tests only: awaited after each step; if it rejects, the checkpoint stops there, as if killed. */
  readonly afterStep?: ((step: CheckpointStep) => Promise<void>) | undefined;
  /** A checkpoint that failed (a full disk): the log keeps everything; another is tried after `retryInMs`. */
  readonly onFailed: (error: unknown, retryInMs: number) => void;
  /** Times the retries of a failed checkpoint. */
  readonly clock: Clock;
}

/** A failed checkpoint is tried again after 1 s, then twice as long each time, up to 5 minutes. */
export const FIRST_RETRY_MS = 1_000;
export const LONGEST_RETRY_MS = 5 * 60_000;

/**
 * Folds the log into the shard files in the background: start a new log
 * segment; then, one shard at a time, write the shard as it is plus the
 * changes the overlay holds for it; write each collection's key index; carry
 * into the new segment what no shard could take (a damaged one); delete the
 * old segments. Every record carries whole values, so replaying one whose
 * effect a shard already holds changes nothing: a kill between any two steps
 * leaves a directory that starts with every acknowledged write.
 */
export class Checkpointer {
  readonly #options: CheckpointerOptions;
  #running: Promise<void> | null = null;
  #again = false;
  #closed = false;
  /** Bytes of the record carried forward into the active segment: they were logged once already and must not count again. */
  #carriedBytes = 0;
  #retryTimer: TimerHandle | null = null;
  #nextRetryMs = FIRST_RETRY_MS;
  /** Checkpoints finished, for tests. */
  completed = 0;

  constructor(options: CheckpointerOptions) {
    this.#options = options;
  }

  get running(): boolean {
    return this.#running !== null;
  }

  /** Starts a checkpoint in the background, or one more after the one running: never two at once. */
  request(): void {
    if (this.#closed) return;
    this.#cancelRetry();
    this.#again = true;
    this.#running ??= this.#loop();
  }

  /**
   * Asks for a checkpoint once the active segment holds `limit` bytes of new
   * writes. What the last checkpoint carried forward does not count: stuck
   * writes as large as the limit would otherwise start checkpoint after
   * checkpoint, each carrying them again, for ever.
   */
  requestPast(limit: number): void {
    if (this.#options.log.activeBytes - this.#carriedBytes >= limit) this.request();
  }

  /**
   * One checkpoint after everything written so far (on stop: a graceful stop
   * leaves a short log), through the same single runner as `request`, so a
   * write that becomes durable meanwhile cannot start a second one beside it.
   */
  async checkpointNow(): Promise<void> {
    this.request();
    await this.idle();
  }

  /** Resolves once no checkpoint runs and none is asked for. */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  /** No checkpoint starts after this; resolves once the one running is done (the data-dir lock may go then). */
  async close(): Promise<void> {
    this.#closed = true;
    this.#cancelRetry();
    await this.idle();
  }

  async #loop(): Promise<void> {
    try {
      while (this.#again && !this.#closed) {
        this.#again = false;
        try {
          await this.#run();
          this.#nextRetryMs = FIRST_RETRY_MS;
        } catch (error) {
          this.#again = false;
          this.#retryLater(error);
          return;
        }
      }
    } finally {
      // Cleared in the same turn as the last check of #again: a request() from now on starts a new runner.
      this.#running = null;
    }
  }

  /** Without a retry, a failed checkpoint waited for another checkpointLogBytes of log, which a quiet service may never write. */
  #retryLater(error: unknown): void {
    const delay = this.#nextRetryMs;
    this.#nextRetryMs = Math.min(delay * 2, LONGEST_RETRY_MS);
    this.#options.onFailed(error, delay);
    if (this.#closed) return;
    this.#retryTimer = this.#options.clock.setTimeout(() => {
      this.#retryTimer = null;
      this.request();
    }, delay);
  }

  #cancelRetry(): void {
    if (this.#retryTimer === null) return;
    this.#options.clock.clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
  }

  async #run(): Promise<void> {
    const { log, storeDir } = this.#options;
    const step = async (name: CheckpointStep) => this.#options.afterStep?.(name);
    const older = await log.roll();
    this.#carriedBytes = 0;
    await step('rolled');
    for (const collection of [...this.#options.collections()]) {
      for (const shard of collection.dirtyShards()) {
        await collection.checkpointShard(shard, storeDir);
        await step('shard-written');
        // JSON of a 1 MB shard is ~10 ms: one shard per turn keeps requests flowing.
        await yieldToEventLoop();
      }
      await collection.writeIndex();
      await step('index-written');
    }
    const stuck = [...this.#options.collections()].flatMap((collection) => collection.stuckWrites());
    if (stuck.length > 0) {
      const writes = writesJson(stuck);
      // Set before the append: its own flush judges the trigger (onDurable) before the append resolves. The largest
      // seq overstates the record by a few bytes, never understates it; the exact size replaces it once known.
      this.#carriedBytes = Buffer.byteLength(encodeLogRecord(Number.MAX_SAFE_INTEGER, writes), 'utf8');
      const record = await log.append(writes);
      this.#carriedBytes = Buffer.byteLength(encodeLogRecord(record.seq, writes), 'utf8');
      await step('carried-forward');
    }
    await log.deleteSegments(older);
    await step('segments-deleted');
    this.completed++;
  }
}
