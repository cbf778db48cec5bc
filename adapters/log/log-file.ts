import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { LogDrops } from './log-drops.ts';

/**
 * The log file: each record appended with one synchronous write, so it is on
 * disk before the next event happens and nothing is lost when the process
 * stops. A write that fails (ENOSPC, EIO…) drops that record and tells
 * `drops`, and the stream goes on: it never emits 'error', so neither pino
 * nor pino-pretty's pipe (which tears itself down on one) nor the bus sees a
 * failure. (sonic-boom, which pino offers, emits 'error' and keeps what it
 * could not write in memory until it can, unbounded on a full disk.)
 *
 * @example
 * const file = new LogFile('/var/log/safekeep/safekeep.log', drops); // throws the OS's error if it cannot open
 * pino({}, file).info('started');
 */
export class LogFile extends Writable {
  readonly #path: string;
  readonly #drops: LogDrops;
  #fd: number | null;

  /** Opens `file` for appending (created 0640, its folder too) synchronously, so a bad path fails the start with the OS's reason. */
  constructor(file: string, drops: LogDrops) {
    super({ decodeStrings: false });
    this.#path = file;
    this.#drops = drops;
    mkdirSync(path.dirname(file), { recursive: true });
    this.#fd = openSync(file, 'a', 0o640);
    // The stream's own errors (a record written after the stop ended it) are dropped records too, never an unhandled 'error'.
    this.on('error', (error) => drops.failed(error));
  }

  /** Opens the path again (logrotate moved the file away); if that fails, records keep going to the old file. */
  reopen(): void {
    if (this.#fd === null) return;
    let fd: number;
    try {
      fd = openSync(this.#path, 'a', 0o640);
    } catch (error) {
      this.#drops.failed(error);
      return;
    }
    closeSync(this.#fd);
    this.#fd = fd;
  }

  /** Every write is already synchronous: nothing waits to be flushed. */
  flushSync(): void {}

  override _write(chunk: string | Buffer, encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.#append(typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk);
    done();
  }

  override _final(done: (error?: Error | null) => void): void {
    this.#close();
    done();
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    this.#close();
    done(error);
  }

  #append(bytes: Buffer): void {
    if (this.#fd === null) return;
    try {
      // writeSync may write part of a buffer: the rest follows; a failure drops what is left of the record.
      for (let written = 0; written < bytes.length; ) written += writeSync(this.#fd, bytes, written);
      this.#drops.wrote();
    } catch (error) {
      this.#drops.failed(error);
    }
  }

  #close(): void {
    if (this.#fd === null) return;
    const fd = this.#fd;
    this.#fd = null;
    try {
      closeSync(fd);
    } catch {
      // A close that fails (EIO on a network disk) leaves nothing to do at stop.
    }
  }
}
