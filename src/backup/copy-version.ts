import { createHash } from 'node:crypto';
import { mkdir, open, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { systemErrorCode } from '../errors/safekeep-error.ts';
import { fsyncDirectory } from '../fs/fsync-directory.ts';
import {
  CopyAbortedError,
  DestinationFullError,
  DestinationNotWritableError,
  SourceChangedDuringCopyError,
  SourceNotAFileError,
  SourceNotFoundError,
  SourceUnreadableError,
  VerificationFailedError,
} from './errors.ts';
import { statVersionFile } from './file-hash.ts';
import { fingerprintOf, sameFingerprint, type BackupVersion, type SourceFingerprint, type VersionFileFingerprint } from './version.ts';
import { tempFileName } from './version-name.ts';

const CHUNK_BYTES = 1024 * 1024;

export interface CopyVersionRequest {
  readonly sourcePath: string;
  readonly destinationDir: string;
  /** Final file name inside `destinationDir`; must not exist yet. */
  readonly fileName: string;
  /** Unique id for the temp file, from the host's id source. */
  readonly tempId: string;
  /** The job's newest registered version, to skip unchanged sources. */
  readonly newest: Pick<BackupVersion, 'size' | 'sha256' | 'source'> | null;
  readonly signal?: AbortSignal;
}

export type CopyVersionResult =
  /** Nothing was registered; `source` is the source's current fingerprint. */
  | { readonly kind: 'unchanged'; readonly source: SourceFingerprint }
  | {
      readonly kind: 'copied';
      readonly path: string;
      readonly size: number;
      readonly sha256: string;
      readonly source: SourceFingerprint;
      /** The version file as it landed, for `revert`'s cheap check later. */
      readonly file: VersionFileFingerprint;
    };

/**
 * Copies a source file into a new version file that is complete when it
 * appears: bytes go to a unique temp file in the destination folder and are
 * hashed on the way, the temp file is fsynced and read back to check the hash,
 * then renamed to its final name and the folder fsynced. Only after that may
 * the caller register the version. Any failure removes the temp file.
 *
 * An unchanged source (same size, mtime, ctime, inode and device as the newest
 * version) costs one `stat`; a source whose bytes hash the same as the newest
 * version also makes no new version.
 */
export async function copyVersion(request: CopyVersionRequest): Promise<CopyVersionResult> {
  const { newest, signal } = request;
  const before = fingerprintOf(await statSource(request.sourcePath));
  if (newest && sameFingerprint(before, newest.source)) return { kind: 'unchanged', source: before };

  const source = await openSource(request.sourcePath);
  try {
    const opened = fingerprintOf(await source.stat({ bigint: true }));
    await makeDestination(request.destinationDir);
    const tempPath = path.join(request.destinationDir, tempFileName(request.tempId));
    const { size, sha256 } = await writeTempCopy(source, tempPath, signal).catch(async (error: unknown) => {
      await unlink(tempPath).catch(() => undefined);
      throw error;
    });

    try {
      const after = fingerprintOf(await source.stat({ bigint: true }));
      if (!sameFingerprint(opened, after) || size !== opened.size) {
        throw new SourceChangedDuringCopyError(`${request.sourcePath} changed while it was being copied; the copy was discarded`);
      }
      if (newest && newest.sha256 === sha256 && newest.size === size) {
        await unlink(tempPath);
        return { kind: 'unchanged', source: after };
      }
      const finalPath = path.join(request.destinationDir, request.fileName);
      await renameIntoPlace(tempPath, finalPath);
      // Taken after the rename and the folder's fsync: what revert will compare the file with.
      const file = (await statVersionFile(finalPath)) ?? { size, mtimeNs: '0', ino: '0' };
      return { kind: 'copied', path: finalPath, size, sha256, source: after, file };
    } catch (error) {
      await unlink(tempPath).catch(() => undefined);
      throw error;
    }
  } finally {
    await source.close();
  }
}

async function statSource(sourcePath: string) {
  try {
    const stats = await stat(sourcePath, { bigint: true });
    if (!stats.isFile()) throw new SourceNotAFileError(`${sourcePath} is not a regular file`);
    return stats;
  } catch (error) {
    throw translateSourceError(error, sourcePath);
  }
}

async function openSource(sourcePath: string): Promise<FileHandle> {
  try {
    return await open(sourcePath, 'r');
  } catch (error) {
    throw translateSourceError(error, sourcePath);
  }
}

async function makeDestination(directory: string): Promise<void> {
  try {
    const firstCreated = await mkdir(directory, { recursive: true, mode: 0o700 });
    // A new folder is only durable once its parent's entry for it is.
    if (firstCreated) await fsyncDirectory(path.dirname(firstCreated));
  } catch (error) {
    // Node's recursive mkdir reports ENOENT where the real cause is EROFS or
    // EACCES; a plain mkdir of the same folder names the real one.
    const cause = systemErrorCode(error) === 'ENOENT' ? await mkdir(directory).then(() => error, (plain: unknown) => plain) : error;
    throw translateDestinationError(cause, directory);
  }
}

async function writeTempCopy(source: FileHandle, tempPath: string, signal: AbortSignal | undefined) {
  let temp: FileHandle;
  try {
    // wx+: never reuse an existing file; + so the copy can be read back to verify it.
    temp = await open(tempPath, 'wx+', 0o600);
  } catch (error) {
    throw translateDestinationError(error, path.dirname(tempPath));
  }
  try {
    const hash = createHash('sha256');
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    let size = 0;
    for (;;) {
      if (signal?.aborted) throw new CopyAbortedError('The copy was stopped before it finished');
      const { bytesRead } = await source.read(buffer, 0, CHUNK_BYTES, size).catch((error: unknown) => {
        throw new SourceUnreadableError(`Reading the source failed: ${describe(error)}`, { cause: error });
      });
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      hash.update(chunk);
      await writeAll(temp, chunk, size);
      size += bytesRead;
    }
    await temp.sync();
    const sha256 = hash.digest('hex');
    await verify(temp, size, sha256, buffer);
    return { size, sha256 };
  } catch (error) {
    throw translateDestinationError(error, path.dirname(tempPath));
  } finally {
    await temp.close();
  }
}

async function writeAll(file: FileHandle, chunk: Buffer, position: number): Promise<void> {
  let written = 0;
  while (written < chunk.length) {
    const { bytesWritten } = await file.write(chunk, written, chunk.length - written, position + written);
    written += bytesWritten;
  }
}

/** Reads the fsynced temp file back and checks it is the bytes that were hashed. */
async function verify(temp: FileHandle, expectedSize: number, expectedSha256: string, buffer: Buffer): Promise<void> {
  const hash = createHash('sha256');
  let size = 0;
  for (;;) {
    const { bytesRead } = await temp.read(buffer, 0, buffer.length, size);
    if (bytesRead === 0) break;
    hash.update(buffer.subarray(0, bytesRead));
    size += bytesRead;
  }
  const sha256 = hash.digest('hex');
  if (size !== expectedSize || sha256 !== expectedSha256) {
    throw new VerificationFailedError(
      `The copy reads back as ${size} bytes with SHA-256 ${sha256}, not ${expectedSize} bytes with ${expectedSha256}`,
    );
  }
}

async function renameIntoPlace(tempPath: string, finalPath: string): Promise<void> {
  try {
    // rename() would silently replace an existing version; one must never be lost.
    const existing = await stat(finalPath).catch((error: unknown) => {
      if (systemErrorCode(error) === 'ENOENT') return undefined;
      throw error;
    });
    if (existing) throw new DestinationNotWritableError(`${finalPath} already exists; refusing to replace it`);
    await rename(tempPath, finalPath);
    await fsyncDirectory(path.dirname(finalPath));
  } catch (error) {
    throw translateDestinationError(error, path.dirname(finalPath));
  }
}

function translateSourceError(error: unknown, sourcePath: string): unknown {
  switch (systemErrorCode(error)) {
    case 'ENOENT':
    case 'ENOTDIR':
      return new SourceNotFoundError(`${sourcePath} does not exist`, { cause: error });
    case 'EACCES':
    case 'EPERM':
    case 'ELOOP':
    case 'EIO':
      return new SourceUnreadableError(`${sourcePath} cannot be read: ${describe(error)}`, { cause: error });
    case 'EISDIR':
      return new SourceNotAFileError(`${sourcePath} is not a regular file`, { cause: error });
    default:
      return error;
  }
}

function translateDestinationError(error: unknown, directory: string): unknown {
  switch (systemErrorCode(error)) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new DestinationFullError(`No space left for the copy in ${directory}`, { cause: error });
    case 'EROFS':
    case 'EACCES':
    case 'EPERM':
    case 'ENOTDIR':
    case 'EEXIST':
      return new DestinationNotWritableError(`${directory} cannot be written: ${describe(error)}`, { cause: error });
    default:
      return error;
  }
}

function describe(error: unknown): string {
  return systemErrorCode(error) ?? (error instanceof Error ? error.message : String(error));
}
