import type { Adapter } from 'lowdb';
import { systemErrorCode } from '../../src/errors/safekeep-error.ts';
import type { IdSource } from '../../src/ids/ids.ts';
import { StoreCorruptError, StoreWriteFailedError } from '../../src/store/errors.ts';
import { readTextIfPresent } from '../../src/fs/read-text-if-present.ts';
import { writeFileDurably } from '../../src/fs/write-file-durably.ts';

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * A lowdb adapter that, unlike lowdb's own JSONFile, acknowledges a write only
 * once it is durable, and groups concurrent writes into one flush.
 *
 * While a flush is on disk, further `write` calls wait together; the next
 * flush serialises the data as it is by then, so it carries all of them. If a
 * flush fails, its writes and every write waiting behind it are rejected, and
 * `onFailure` is called at once (before any other code runs) with the data as
 * it is on disk, so the owner can roll its in-memory copy back.
 */
export class DurableJsonFile<T> implements Adapter<T> {
  readonly #filePath: string;
  /** Names the file in messages a client may see; the path goes to the log only (as the error's detail). */
  readonly #label: string;
  readonly #ids: IdSource;
  readonly #onFailure: (lastDurable: T | null) => void;
  #queued: { data: T; waiters: Waiter[] } | null = null;
  #flushing: Promise<void> | null = null;
  #lastDurableText: string | null = null;
  /** The size of the text last read or written, for callers that account memory by it. */
  lastReadBytes = 0;
  lastWrittenBytes = 0;

  constructor(filePath: string, label: string, ids: IdSource, onFailure: (lastDurable: T | null) => void) {
    this.#filePath = filePath;
    this.#label = label;
    this.#ids = ids;
    this.#onFailure = onFailure;
  }

  async read(): Promise<T | null> {
    const text = await readTextIfPresent(this.#filePath);
    if (text === null) return null;
    try {
      const data = JSON.parse(text) as T;
      this.#lastDurableText = text;
      this.lastReadBytes = text.length;
      return data;
    } catch (error) {
      throw new StoreCorruptError(`${this.#label} is not valid JSON; it was left untouched`, { cause: error, detail: this.#filePath });
    }
  }

  write(data: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiters = this.#queued?.waiters ?? [];
      waiters.push({ resolve, reject });
      this.#queued = { data, waiters };
      this.#flushing ??= this.#flushAll();
    });
  }

  /** Resolves once every write requested so far has been settled. */
  async settled(): Promise<void> {
    while (this.#flushing) await this.#flushing;
  }

  async #flushAll(): Promise<void> {
    while (this.#queued) {
      const batch = this.#queued;
      this.#queued = null;
      // Serialised now, not when write() was called: this flush carries every change made so far.
      const text = JSON.stringify(batch.data);
      try {
        await writeFileDurably(this.#filePath, text, this.#ids.next('w'));
        this.#lastDurableText = text;
        this.lastWrittenBytes = text.length;
        for (const waiter of batch.waiters) waiter.resolve();
      } catch (cause) {
        const error = new StoreWriteFailedError(`Could not write ${this.#label}: ${systemErrorCode(cause) ?? 'the write failed'}`, {
          cause,
          detail: `${this.#filePath}: ${cause instanceof Error ? cause.message : String(cause)}`,
        });
        // Writes queued behind a failed flush were applied to the same in-memory data that is now rolled back.
        const queuedBehind = this.#queued as { waiters: Waiter[] } | null;
        const rejected = [...batch.waiters, ...(queuedBehind?.waiters ?? [])];
        this.#queued = null;
        this.#onFailure(this.#lastDurableText === null ? null : (JSON.parse(this.#lastDurableText) as T));
        for (const waiter of rejected) waiter.reject(error);
      }
    }
    this.#flushing = null;
  }
}
