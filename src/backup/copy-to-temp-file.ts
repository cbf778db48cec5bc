import { createHash } from 'node:crypto';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { describeCopyError, translateDestinationError } from './copy-errors.ts';
import { CopyAbortedError, SourceChangedDuringCopyError, SourceUnreadableError, VerificationFailedError } from './errors.ts';
import { fingerprintOf, sameFingerprint, type SourceFingerprint } from './version.ts';

/**
 * 4 MiB chunks, four buffers: reads and writes keep ahead of the hash
 * (measured: 2 or 8 buffers, or 1 MiB chunks, were no faster), in 16 MiB of
 * memory per copy.
 */
const CHUNK_BYTES = 4 * 1024 * 1024;
const BUFFERS = 4;
/**
 * Every this many bytes the copy asks the kernel to flush what it wrote so
 * far (an fdatasync that is not waited for), so the disk writes while the
 * hash runs instead of all at the final fsync: measured, the final fsync of
 * 512 MiB went from ~250 ms to under 10 ms.
 */
const FLUSH_EVERY_BYTES = 16 * 1024 * 1024;

export interface CopyToTempFileOptions {
  readonly signal?: AbortSignal;
  /**
   * Called after each chunk is hashed, with the bytes hashed so far and the
   * size the source had when the copy began. Called often (every 4 MiB):
   * a listener that reports should throttle.
   */
  readonly onProgress?: (bytesDone: number, totalBytes: number) => void;
  /** Read the fsynced copy back and check it hashes the same: a second pass, off by default. */
  readonly verify?: boolean;
}

export interface TempFileCopy {
  readonly size: number;
  /** SHA-256 of exactly the bytes written to the temp file. */
  readonly sha256: string;
  /** The source's fingerprint, the same when the copy ended as when it began. */
  readonly source: SourceFingerprint;
}

/**
 * Copies an open source file into a new file at `tempPath` (created `0600`,
 * never reusing an existing one) and fsyncs it; the caller renames it into
 * place and fsyncs the folder. Reading, hashing and writing overlap: while
 * chunk n is hashed, chunk n+1 is being read and earlier chunks written, each
 * chunk hashed from the very buffer that is written, so the SHA-256 is of
 * exactly the copied bytes.
 *
 * A source that changes while it is read (its size, mtime, ctime, inode or
 * device differ after the last read from when it was opened) makes it throw
 * SOURCE_CHANGED_DURING_COPY; an abort throws COPY_ABORTED; the OS's errors
 * become SOURCE_UNREADABLE, DESTINATION_FULL or DESTINATION_NOT_WRITABLE.
 * On any failure the temp file is removed. It never closes `source`.
 *
 * @example
 * const source = await open('/home/me/notes.db', 'r');
 * try {
 *   const { size, sha256 } = await copyToTempFile(source, '/home/me/notes.db', '/backups/notes/.tmp-1', { signal });
 *   await rename('/backups/notes/.tmp-1', '/backups/notes/notes.1.db');
 *   await fsyncDirectory('/backups/notes');
 * } finally {
 *   await source.close();
 * }
 */
export async function copyToTempFile(source: FileHandle, sourcePath: string, tempPath: string, options: CopyToTempFileOptions = {}): Promise<TempFileCopy> {
  const directory = path.dirname(tempPath);
  const opened = fingerprintOf(await source.stat({ bigint: true }));
  let temp: FileHandle;
  try {
    // wx+: never reuse an existing file; + so the copy can be read back to verify it.
    temp = await open(tempPath, 'wx+', 0o600);
  } catch (error) {
    throw translateDestinationError(error, directory);
  }
  try {
    const { size, sha256 } = await pipeChunks(source, sourcePath, temp, directory, opened.size, options);
    const after = fingerprintOf(await source.stat({ bigint: true }));
    if (!sameFingerprint(opened, after) || size !== opened.size) {
      throw new SourceChangedDuringCopyError(`${sourcePath} changed while it was being copied; the copy was discarded`);
    }
    await temp.sync().catch((error: unknown) => {
      throw translateDestinationError(error, directory);
    });
    if (options.verify) await readBack(temp, size, sha256);
    await temp.close();
    return { size, sha256, source: after };
  } catch (error) {
    await temp.close().catch(() => undefined);
    await unlink(tempPath).catch(() => undefined);
    throw error;
  }
}

interface Slot {
  readonly buffer: Buffer;
  /** The write of what the buffer last held; it never rejects (a failure goes to `writeFailures`), so nothing is left unhandled. */
  written: Promise<void>;
}

async function pipeChunks(source: FileHandle, sourcePath: string, temp: FileHandle, directory: string, totalBytes: number, options: CopyToTempFileOptions) {
  const { signal, onProgress } = options;
  const hash = createHash('sha256');
  const slots: Slot[] = Array.from({ length: BUFFERS }, () => ({ buffer: Buffer.allocUnsafe(CHUNK_BYTES), written: Promise.resolve() }));
  // The first write that failed; later reads stop, and the loop throws it.
  const writeFailures: unknown[] = [];
  let flushing: Promise<void> = Promise.resolve();
  let flushedUpTo = 0;
  let position = 0;
  let slotIndex = 0;
  // A buffer is read into only once its previous write has finished.
  const readInto = async (slot: Slot, at: number): Promise<number> => {
    await slot.written;
    if (writeFailures.length > 0) return 0;
    try {
      return (await source.read(slot.buffer, 0, CHUNK_BYTES, at)).bytesRead;
    } catch (error) {
      throw new SourceUnreadableError(`Reading ${sourcePath} failed: ${describeCopyError(error)}`, { cause: error });
    }
  };
  let reading = readInto(slots[0] as Slot, 0);
  try {
    for (;;) {
      const bytesRead = await reading;
      if (writeFailures.length > 0) throw writeFailures[0];
      if (bytesRead === 0) break;
      if (signal?.aborted) throw new CopyAbortedError('The copy was stopped before it finished');
      const slot = slots[slotIndex] as Slot;
      const chunk = slot.buffer.subarray(0, bytesRead);
      const at = position;
      position += bytesRead;
      slotIndex = (slotIndex + 1) % BUFFERS;
      // The next read is in flight while this chunk is hashed.
      reading = readInto(slots[slotIndex] as Slot, position);
      // Marked handled at once: it is awaited on the next turn, or in `finally` if this turn throws.
      reading.catch(() => undefined);
      hash.update(chunk);
      slot.written = writeAll(temp, chunk, at, directory).catch((error: unknown) => {
        writeFailures.push(error);
      });
      if (position - flushedUpTo >= FLUSH_EVERY_BYTES) {
        flushedUpTo = position;
        // One flush at a time; a failure here shows again at the final fsync.
        flushing = flushing.then(() => temp.datasync()).catch(() => undefined);
      }
      onProgress?.(position, totalBytes);
    }
  } finally {
    // Nothing may still touch either file when the caller closes them.
    await reading.catch(() => undefined);
    await Promise.all(slots.map((slot) => slot.written));
    await flushing;
  }
  if (writeFailures.length > 0) throw writeFailures[0];
  return { size: position, sha256: hash.digest('hex') };
}

async function writeAll(file: FileHandle, chunk: Buffer, position: number, directory: string): Promise<void> {
  try {
    let written = 0;
    while (written < chunk.length) {
      const { bytesWritten } = await file.write(chunk, written, chunk.length - written, position + written);
      written += bytesWritten;
    }
  } catch (error) {
    throw translateDestinationError(error, directory);
  }
}

/** Reads the fsynced temp file back and checks it is the bytes that were hashed. */
async function readBack(temp: FileHandle, expectedSize: number, expectedSha256: string): Promise<void> {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  let size = 0;
  for (;;) {
    const { bytesRead } = await temp.read(buffer, 0, buffer.length, size);
    if (bytesRead === 0) break;
    hash.update(buffer.subarray(0, bytesRead));
    size += bytesRead;
  }
  const sha256 = hash.digest('hex');
  if (size !== expectedSize || sha256 !== expectedSha256) {
    throw new VerificationFailedError(`The copy reads back as ${size} bytes with SHA-256 ${sha256}, not ${expectedSize} bytes with ${expectedSha256}`);
  }
}
