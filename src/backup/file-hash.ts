import { createHash } from 'node:crypto';
import { statSync, type BigIntStats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { systemErrorCode } from '../errors/safekeep-error.ts';
import { CopyAbortedError } from './errors.ts';
import { fingerprintOf, type SourceFingerprint, type VersionFileFingerprint } from './version.ts';

const CHUNK_BYTES = 1024 * 1024;

/** What reading a whole file gave. Plain data, so a recording can hold it and a replay hand it back. */
export type HashedFile =
  | { readonly kind: 'missing' }
  /** It exists but could not be read; `code` is the OS's (`EACCES`, `EIO`…). */
  | { readonly kind: 'unreadable'; readonly code: string }
  | {
      readonly kind: 'hashed';
      readonly size: number;
      readonly sha256: string;
      /** The file's state when it was opened. */
      readonly fingerprint: SourceFingerprint;
      /** False when the file changed while it was read: the hash may be of a torn mix. */
      readonly stable: boolean;
    };

/**
 * Reads a file through once and hashes it with SHA-256. Used to verify a
 * version against its catalog record and to compare an orphan with its
 * source; never throws for a missing or unreadable file, so one bad file
 * cannot stop a pass over all the others.
 */
export async function hashFile(filePath: string, options: { readonly signal?: AbortSignal } = {}): Promise<HashedFile> {
  let file: FileHandle;
  try {
    file = await open(filePath, 'r');
  } catch (error) {
    return notRead(error);
  }
  try {
    const before = fingerprintOf(await file.stat({ bigint: true }));
    const hash = createHash('sha256');
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    let size = 0;
    for (;;) {
      if (options.signal?.aborted) throw new CopyAbortedError('Hashing was stopped before it finished');
      const { bytesRead } = await file.read(buffer, 0, CHUNK_BYTES, size);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      size += bytesRead;
    }
    const after = fingerprintOf(await file.stat({ bigint: true }));
    const stable = size === before.size && JSON.stringify(before) === JSON.stringify(after);
    return { kind: 'hashed', size, sha256: hash.digest('hex'), fingerprint: before, stable };
  } catch (error) {
    if (error instanceof CopyAbortedError) throw error;
    return notRead(error);
  } finally {
    await file.close();
  }
}

/**
 * A version file's current fingerprint, or null when there is no regular file
 * there: one `stat`, for `revert` and for each run's look at the newest version.
 * Taken synchronously on purpose: it is a few microseconds on the backup
 * folder's own disk, while a trip through the thread pool costs 0.2 ms here
 * (and more under load), which was most of an unchanged run and of `revert`.
 * The answer still comes on a later turn of the event loop, as an asynchronous
 * call's would, so recordings and their replays see the same order of steps.
 * The source's `stat` stays asynchronous: a source may sit on a slow or hung
 * mount, and that must not stall everyone else's requests.
 */
export async function statVersionFile(filePath: string): Promise<VersionFileFingerprint | null> {
  let stats: BigIntStats | undefined;
  try {
    stats = statSync(filePath, { bigint: true });
  } catch {
    stats = undefined;
  }
  // Answered on a later turn, as an asynchronous stat would be: a recording sees the result arrive as its own input.
  await new Promise<void>((resolve) => setImmediate(resolve));
  return stats?.isFile() ? versionFileFingerprint(fingerprintOf(stats)) : null;
}

/** The part of a full fingerprint that a version file's record keeps. */
export function versionFileFingerprint(fingerprint: Pick<SourceFingerprint, 'size' | 'mtimeNs' | 'ino'>): VersionFileFingerprint {
  return { size: fingerprint.size, mtimeNs: fingerprint.mtimeNs, ino: fingerprint.ino };
}

function notRead(error: unknown): HashedFile {
  const code = systemErrorCode(error);
  if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'missing' };
  return { kind: 'unreadable', code: code ?? 'EIO' };
}
