import { createHash } from 'node:crypto';
import { copyFile, open, stat, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { systemErrorCode } from '../errors/safekeep-error.ts';
import { translateDestinationError, translateSourceError } from './copy-errors.ts';
import { CopyAbortedError, SourceChangedDuringCopyError, VerificationFailedError } from './errors.ts';
import { fingerprintOf, sameFingerprint, type SourceFingerprint } from './version.ts';

/** Hashing reads 4 MiB at a time, the next read in flight while a chunk is hashed. */
const CHUNK_BYTES = 4 * 1024 * 1024;
/** When the hash has caught up with the kernel's copy, it looks again this much later (real time: it waits for the disk, not for the host). */
const CATCH_UP_WAIT_MS = 1;

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
 * Copies an open source file into a new file at `tempPath`, fsyncs it and
 * returns the SHA-256 of exactly the bytes it holds; the caller renames it
 * into place and fsyncs the folder. The bytes move in the kernel
 * (`copy_file_range`, through `fs.copyFile`: one copy, none through this
 * process), while this thread hashes the copy as it grows, reading it back
 * from the page cache right behind the kernel: the hash is of the copy itself,
 * not of the source, so it is of the registered bytes even if the source
 * misbehaves. The copy ends up `0600`; its fsync starts as soon as the
 * kernel's copy returns, while the hash finishes.
 *
 * Why not read, hash and write in this process: measured on the bench
 * machine, the kernel moves the bytes for a third of the CPU that copying
 * them through a buffer costs (bench/backup-copy.bench.ts; see README).
 *
 * A source that changes while it is copied (its size, mtime, ctime, inode or
 * device differ afterwards from when it was opened, or `sourcePath` names
 * another file by then) makes it throw SOURCE_CHANGED_DURING_COPY; an abort
 * throws COPY_ABORTED once the kernel's copy call has returned (it cannot be
 * cut short: about half a second per GiB on the bench machine); the OS's errors become SOURCE_UNREADABLE, DESTINATION_FULL or
 * DESTINATION_NOT_WRITABLE. On any failure the temp file is removed. It never
 * closes `source`.
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
    // wx+: never reuse an existing file; + so the copy can be hashed as it grows.
    temp = await open(tempPath, 'wx+', 0o600);
  } catch (error) {
    throw translateDestinationError(error, directory);
  }
  try {
    // Into the file made above (so no one else's): copyFile truncates it and gives it the source's mode, put back below.
    const copying = copyFile(sourcePath, tempPath).then(
      () => ({ ok: true as const }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    // Once the kernel is done, the disk writes while the hash catches up (the fsync is not left until after it).
    const durable = copying.then(async (outcome): Promise<CopyOutcome> => {
      if (!outcome.ok) return outcome;
      try {
        await temp.chmod(0o600);
        await temp.sync();
        return outcome;
      } catch (error) {
        return { ok: false, error };
      }
    });
    const { size, sha256 } = await hashAsCopied(temp, directory, copying, opened.size, options).catch(async (error: unknown) => {
      // The kernel's copy cannot be cut short: wait for it (and the fsync after it) before the temp file goes.
      await durable;
      throw error;
    });
    const copied = await durable;
    if (!copied.ok) throw translateCopyError(copied.error, sourcePath, directory);
    const after = fingerprintOf(await source.stat({ bigint: true }));
    const named = await stat(sourcePath, { bigint: true }).then(fingerprintOf, () => null);
    if (!sameFingerprint(opened, after) || !named || !sameFingerprint(opened, named) || size !== opened.size) {
      throw new SourceChangedDuringCopyError(`${sourcePath} changed while it was being copied; the copy was discarded`);
    }
    if (options.verify) await readBack(temp, size, sha256);
    await temp.close();
    return { size, sha256, source: after };
  } catch (error) {
    await temp.close().catch(() => undefined);
    await unlink(tempPath).catch(() => undefined);
    throw error;
  }
}

type CopyOutcome = { readonly ok: true } | { readonly ok: false; readonly error: unknown };

interface ChunkRead {
  readonly bytesRead: number;
  readonly buffer: Buffer;
  /** The kernel's copy had returned before this read began: reading nothing then is the end of the file. */
  readonly afterCopy: boolean;
}

/**
 * Hashes the copy as the kernel writes it, right behind it, with the next
 * read in flight while a chunk is hashed; when it catches up, it waits a
 * moment and looks again. Ends at the end of the file once the copy is over.
 */
async function hashAsCopied(temp: FileHandle, directory: string, copying: Promise<CopyOutcome>, totalBytes: number, options: CopyToTempFileOptions): Promise<{ size: number; sha256: string }> {
  const { signal, onProgress } = options;
  let copied = false;
  void copying.then(() => (copied = true));
  const hash = createHash('sha256');
  const buffers = [Buffer.allocUnsafe(CHUNK_BYTES), Buffer.allocUnsafe(CHUNK_BYTES)];
  let position = 0;
  let turn = 0;
  const readAt = (at: number): Promise<ChunkRead> => {
    const buffer = buffers[turn++ % 2] as Buffer;
    const afterCopy = copied;
    return readCopy(temp, buffer, at, directory).then((bytesRead) => ({ bytesRead, buffer, afterCopy }));
  };
  let reading = readAt(0);
  try {
    for (;;) {
      const { bytesRead, buffer, afterCopy } = await reading;
      if (bytesRead === 0) {
        if (afterCopy) break;
        // Caught up with the kernel: wait for more, or for its end.
        if (!copied) await Promise.race([copying, new Promise((resolve) => setTimeout(resolve, CATCH_UP_WAIT_MS))]);
        reading = readAt(position);
        continue;
      }
      if (signal?.aborted) throw new CopyAbortedError('The copy was stopped before it finished');
      const chunk = buffer.subarray(0, bytesRead);
      position += bytesRead;
      reading = readAt(position);
      // Marked handled at once: it is awaited on the next turn, or in `finally` if this turn throws.
      reading.catch(() => undefined);
      hash.update(chunk);
      onProgress?.(position, totalBytes);
    }
  } finally {
    await reading.catch(() => undefined);
  }
  return { size: position, sha256: hash.digest('hex') };
}

async function readCopy(temp: FileHandle, buffer: Buffer, position: number, directory: string): Promise<number> {
  try {
    return (await temp.read(buffer, 0, buffer.length, position)).bytesRead;
  } catch (error) {
    throw translateDestinationError(error, directory);
  }
}

/** copyFile reports the source's errors and the destination's alike: which side it was shows in the code. */
function translateCopyError(error: unknown, sourcePath: string, directory: string): unknown {
  const asDestination = translateDestinationError(error, directory);
  if (asDestination !== error && systemErrorCode(error) !== 'EACCES' && systemErrorCode(error) !== 'EPERM') return asDestination;
  return translateSourceError(error, sourcePath);
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
