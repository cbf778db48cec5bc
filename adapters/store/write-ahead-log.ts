import { open, unlink, type FileHandle } from 'node:fs/promises';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import path from 'node:path';
import { systemErrorCode } from '../../src/errors/safekeep-error.ts';
import { fsyncDirectory } from '../../src/fs/fsync-directory.ts';
import { StoreWriteFailedError } from '../../src/store/errors.ts';
import { encodeLogRecord, type LogRecord } from './log-record.ts';
import { segmentFileName } from './log-replay.ts';

interface QueuedWrite {
  /** See `writesJson`. */
  readonly writes: string;
  resolve(record: LogRecord): void;
  reject(error: unknown): void;
}

export interface WriteAheadLogState {
  readonly logDir: string;
  /** Oldest first; the last one is appended to. Empty: a first segment is made. */
  readonly segments: readonly string[];
  readonly lastSegmentBytes: number;
  readonly nextSeq: number;
  /** Called with the records of each flush once they are durable, before any of their writers hears so. */
  readonly onDurable: (records: readonly LogRecord[]) => void;
}

/**
 * The store's write-ahead log: segment files of one line per record, appended
 * with group commit. Writes that arrive while an append and its `fdatasync`
 * are on disk queue up; the next flush carries all of them in one `write` and
 * one `fdatasync`. A record counts as written only once that `fdatasync`
 * resolved. A failed flush rejects every write it carried and cuts the file
 * back to where it was, so no half-written record stays in the middle.
 */
export class WriteAheadLog {
  readonly #logDir: string;
  readonly #onDurable: (records: readonly LogRecord[]) => void;
  readonly #segments: string[];
  #handle: FileHandle;
  #bytes: number;
  #nextSeq: number;
  #queue: QueuedWrite[] = [];
  #flushing: Promise<void> | null = null;
  #rolling: Promise<unknown> | null = null;
  /** Rolls waiting for the flush to end: the flush stops between batches, or writes arriving in every fdatasync would keep a roll (and so every checkpoint) waiting for ever. */
  #rollsWaiting = 0;
  /** Set when a failed flush could not be cut back: the next flush cuts first. */
  #cutTo: number | null = null;
  /** Flushes made, for tests that count them. */
  flushes = 0;

  private constructor(state: WriteAheadLogState, handle: FileHandle, segments: string[]) {
    this.#logDir = state.logDir;
    this.#onDurable = state.onDurable;
    this.#handle = handle;
    this.#segments = segments;
    this.#bytes = state.segments.length > 0 ? state.lastSegmentBytes : 0;
    this.#nextSeq = state.nextSeq;
  }

  static async open(state: WriteAheadLogState): Promise<WriteAheadLog> {
    const segments = [...state.segments];
    if (segments.length === 0) segments.push(segmentFileName(state.nextSeq));
    const handle = await openSegment(path.join(state.logDir, segments[segments.length - 1] as string));
    if (state.segments.length === 0) await fsyncDirectory(state.logDir);
    return new WriteAheadLog(state, handle, segments);
  }

  /** Bytes in the segment being appended to. */
  get activeBytes(): number {
    return this.#bytes;
  }

  /** `writes` from `writesJson`. Resolves with the record once it is durable; rejects with StoreWriteFailedError if it could not be made so. */
  append(writes: string): Promise<LogRecord> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ writes, resolve, reject });
      // While a roll waits, the roll starts the next flush itself once the new segment is there.
      if (this.#rollsWaiting === 0) this.#flushing ??= this.#flushAll();
    });
  }

  /** Resolves once every write appended so far is settled. */
  async settled(): Promise<void> {
    for (;;) {
      const busy = this.#flushing ?? this.#rolling;
      if (busy) await busy.catch(() => undefined);
      else if (this.#queue.length > 0) await yieldToEventLoop(); // a roll is about to start; its end flushes the queue
      else return;
    }
  }

  /**
   * Starts a new segment between two flushes and resolves with the names of
   * the older ones: once a checkpoint holds everything in them, they can go.
   */
  async roll(): Promise<string[]> {
    this.#rollsWaiting++;
    let rolling: Promise<string[]>;
    try {
      while (this.#rolling) await this.#rolling.catch(() => undefined);
      while (this.#flushing) await this.#flushing;
      rolling = this.#roll();
      this.#rolling = rolling;
    } finally {
      this.#rollsWaiting--;
    }
    try {
      return await rolling;
    } finally {
      if (this.#rolling === rolling) this.#rolling = null;
      if (this.#queue.length > 0 && this.#rollsWaiting === 0) this.#flushing ??= this.#flushAll();
    }
  }

  /** Removes segments a checkpoint made redundant, oldest first (see the README's Recovery for why the order matters). */
  async deleteSegments(names: readonly string[]): Promise<void> {
    for (const name of [...names].sort()) {
      if (name === this.#segments[this.#segments.length - 1]) continue;
      await unlink(path.join(this.#logDir, name)).catch((error: unknown) => {
        if (systemErrorCode(error) !== 'ENOENT') throw error;
      });
      // A name this log no longer holds (already deleted) must not splice out the last one, the active segment.
      const at = this.#segments.indexOf(name);
      if (at >= 0) this.#segments.splice(at, 1);
    }
    await fsyncDirectory(this.#logDir);
  }

  async close(): Promise<void> {
    await this.settled();
    await this.#handle.close();
  }

  async #roll(): Promise<string[]> {
    const name = segmentFileName(this.#nextSeq);
    const older = this.#segments.filter((segment) => segment !== name);
    if (name === this.#segments[this.#segments.length - 1]) return older;
    // A failed flush's tail not yet cut must go before this segment stops being the newest: a start tolerates a
    // torn line only in the newest one, and whole records of it were refused to their writers. If it cannot be
    // cut, the roll fails and the segment stays the newest (and the next flush tries the cut again).
    if (this.#cutTo !== null) await this.#cut(this.#cutTo);
    const handle = await openSegment(path.join(this.#logDir, name));
    try {
      // The new file's name must be durable before a record in it is acknowledged.
      await fsyncDirectory(this.#logDir);
    } catch (error) {
      await handle.close();
      throw error;
    }
    await this.#handle.close().catch(() => undefined);
    this.#handle = handle;
    this.#segments.push(name);
    this.#bytes = 0;
    return older;
  }

  async #flushAll(): Promise<void> {
    while (this.#queue.length > 0 && this.#rollsWaiting === 0) {
      if (this.#rolling) await this.#rolling.catch(() => undefined);
      const batch = this.#queue.splice(0);
      const bytes = Buffer.from(batch.map((queued, position) => encodeLogRecord(this.#nextSeq + position, queued.writes)).join(''), 'utf8');
      const before = this.#bytes;
      try {
        if (this.#cutTo !== null) await this.#cut(this.#cutTo);
        await writeAll(this.#handle, bytes);
        await this.#handle.datasync();
      } catch (cause) {
        this.#cutTo = before;
        await this.#cut(before).catch(() => undefined);
        const error = new StoreWriteFailedError(`Could not write the store log: ${systemErrorCode(cause) ?? 'the write failed'}`, {
          cause,
          detail: `${path.join(this.#logDir, this.#segments[this.#segments.length - 1] as string)}: ${cause instanceof Error ? cause.message : String(cause)}`,
        });
        for (const queued of batch) queued.reject(error);
        continue;
      }
      this.#bytes = before + bytes.length;
      // Parsed back from what was logged: memory holds exactly what a replay would rebuild.
      const records = batch.map((queued, position): LogRecord => ({ seq: this.#nextSeq + position, writes: JSON.parse(queued.writes) as LogRecord['writes'] }));
      this.#nextSeq += records.length;
      this.flushes++;
      this.#onDurable(records);
      batch.forEach((queued, position) => queued.resolve(records[position] as LogRecord));
    }
    this.#flushing = null;
  }

  /** Cuts the segment back to `length` bytes, durably: what a failed flush may have left is gone. */
  async #cut(length: number): Promise<void> {
    await this.#handle.truncate(length);
    await this.#handle.datasync();
    this.#cutTo = null;
  }
}

function openSegment(filePath: string): Promise<FileHandle> {
  return open(filePath, 'a', 0o600);
}

async function writeAll(handle: FileHandle, bytes: Buffer): Promise<void> {
  let written = 0;
  while (written < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, written, bytes.length - written);
    written += bytesWritten;
  }
}
