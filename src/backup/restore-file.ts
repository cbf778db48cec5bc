import { chmod, link, open, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { systemErrorCode } from '../errors/safekeep-error.ts';
import { copyAndHash } from '../fs/copy-and-hash.ts';
import { fsyncDirectory } from '../fs/fsync-directory.ts';
import { DestinationFullError, DestinationNotWritableError, TargetExistsError, TargetFolderMissingError, VerificationFailedError } from './errors.ts';
import { hashFile } from './file-hash.ts';
import { boundedTargetName } from './restore-temp-name.ts';

/** Temp files of restores end with this (they sit in the user's folder, so the name says whose they are). */
export const RESTORE_TEMP_SUFFIX = '.safekeep-restore';

export interface RestoreFileRequest {
  /** The version file to put back. */
  readonly versionPath: string;
  /** What its bytes must hash to (the catalog's SHA-256) and how many there are. */
  readonly sha256: string;
  readonly size: number;
  /** Absolute, already resolved (see `lookUpPath`). */
  readonly target: string;
  /** Unique id for the temp file, from the host's id source. */
  readonly tempId: string;
  /** True: replace what is at `target` (the job's own source, already kept as a version). False: `target` must not exist, and never gets overwritten. */
  readonly replace: boolean;
}

/**
 * Puts a version's bytes at `target` so that it holds, at every moment,
 * either what it held before or the whole version: the bytes are copied to a
 * temp file in the target's folder (hashed on the way, so a version file that
 * changed since it was verified is caught), fsynced, read back and hashed
 * again, and only then renamed over the target (or, with `replace` false,
 * linked to a name that must not exist yet), and the folder fsynced. A
 * replaced file keeps its permission bits; a new one is 0600, as versions are.
 * Messages name no server path: they go to clients.
 */
export async function restoreFile(request: RestoreFileRequest): Promise<void> {
  const folder = path.dirname(request.target);
  const tempPath = path.join(folder, `.${boundedTargetName(path.basename(request.target))}.${request.tempId}${RESTORE_TEMP_SUFFIX}`);
  try {
    const mode = request.replace ? await stat(request.target).then((stats) => stats.mode & 0o7777, () => 0o600) : 0o600;
    const copied = await copyToTemp(request.versionPath, tempPath, mode);
    if (copied.sha256 !== request.sha256 || copied.size !== request.size) {
      throw new VerificationFailedError('The version file changed since it was verified; nothing was restored');
    }
    const readBack = await hashFile(tempPath);
    if (readBack.kind !== 'hashed' || readBack.sha256 !== request.sha256 || readBack.size !== request.size) {
      throw new VerificationFailedError('The restored copy did not read back as the version; nothing was restored');
    }
    // Set again: the umask may have narrowed the mode the temp file was created with.
    await chmod(tempPath, mode);
    if (request.replace) {
      await rename(tempPath, request.target);
    } else {
      // link() fails if the name is taken, where rename() would silently replace it.
      await link(tempPath, request.target).catch((error: unknown) => {
        if (systemErrorCode(error) === 'EEXIST') throw new TargetExistsError('Something is already at the restore target; nothing was overwritten');
        throw error;
      });
      await unlink(tempPath);
    }
    await fsyncDirectory(folder);
  } catch (error) {
    await unlink(tempPath).catch(() => undefined);
    throw translated(error);
  }
}

async function copyToTemp(versionPath: string, tempPath: string, mode: number): Promise<{ size: number; sha256: string }> {
  const source = await open(versionPath, 'r').catch((error: unknown) => {
    throw new VerificationFailedError('The version file could not be read since it was verified; nothing was restored', { cause: error });
  });
  try {
    const temp = await open(tempPath, 'wx', mode);
    try {
      const copied = await copyAndHash(source, temp);
      await temp.sync();
      return copied;
    } finally {
      await temp.close();
    }
  } finally {
    await source.close();
  }
}

function translated(error: unknown): unknown {
  switch (systemErrorCode(error)) {
    case 'ENOENT':
    case 'ENOTDIR':
      return new TargetFolderMissingError("The restore target's folder does not exist", { cause: error });
    case 'ENOSPC':
    case 'EDQUOT':
      return new DestinationFullError('No space left where the version is restored; nothing was restored', { cause: error });
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new DestinationNotWritableError('The restore target cannot be written; nothing was restored', { cause: error });
    default:
      return error;
  }
}
