import { mkdir, open, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { systemErrorCode } from '../errors/safekeep-error.ts';
import { fsyncDirectory } from '../fs/fsync-directory.ts';
import { translateDestinationError, translateSourceError } from './copy-errors.ts';
import { copyToTempFile } from './copy-to-temp-file.ts';
import { DestinationNotWritableError, SourceNotAFileError } from './errors.ts';
import { statVersionFile } from './file-hash.ts';
import { fingerprintOf, sameFingerprint, type BackupVersion, type SourceFingerprint, type VersionFileFingerprint } from './version.ts';
import { tempFileName } from './version-name.ts';

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
  /** Read the fsynced copy back and check its hash before it is renamed (the host's `verifyCopies`). */
  readonly verify?: boolean;
  /** Bytes copied so far and the source's size, after each chunk (not recorded: a function is left out of a recording). */
  readonly onProgress?: (bytesDone: number, totalBytes: number) => void;
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
 * hashed on the way (`copyToTempFile`), the temp file is fsynced (and, with
 * `verify`, read back to check the hash), then renamed to its final name and
 * the folder fsynced. Only after that may the caller register the version.
 * Any failure removes the temp file.
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
    await makeDestination(request.destinationDir);
    const tempPath = path.join(request.destinationDir, tempFileName(request.tempId));
    const copy = await copyToTempFile(source, request.sourcePath, tempPath, {
      ...(signal ? { signal } : {}),
      ...(request.onProgress ? { onProgress: request.onProgress } : {}),
      ...(request.verify ? { verify: true } : {}),
    });
    try {
      if (newest && newest.sha256 === copy.sha256 && newest.size === copy.size) {
        await unlink(tempPath);
        return { kind: 'unchanged', source: copy.source };
      }
      const finalPath = path.join(request.destinationDir, request.fileName);
      await renameIntoPlace(tempPath, finalPath);
      // Taken after the rename and the folder's fsync: what revert will compare the file with.
      const file = (await statVersionFile(finalPath)) ?? { size: copy.size, mtimeNs: '0', ino: '0' };
      return { kind: 'copied', path: finalPath, size: copy.size, sha256: copy.sha256, source: copy.source, file };
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
