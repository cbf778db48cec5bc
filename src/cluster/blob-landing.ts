import { createHash } from 'node:crypto';
import { open, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { VersionBlobMismatchError } from '../backup/errors.ts';
import { versionFileFingerprint } from '../backup/file-hash.ts';
import { fingerprintOf, type VersionFileFingerprint } from '../backup/version.ts';
import { tempFileName } from '../backup/version-name.ts';
import { fsyncDirectory } from '../fs/fsync-directory.ts';
import { makeDirectory } from '../fs/make-directory.ts';
import type { ExpectedBlob } from '../ports/version-blobs.ts';

/**
 * Lands a blob's bytes at `filePath`, complete and as expected or not at all
 * (what `VersionBlobs.getFile` promises): the chunks go to a temp file beside
 * it, hashed as they are written, the temp file is fsynced and only renamed
 * over `filePath` (and the folder fsynced) when size and SHA-256 are the
 * expected ones. The temp file carries the backup folder's temp prefix, so
 * one a killed process left is swept as a leftover.
 *
 * @example
 * const landed = await landBlob(objectChunks, '/data/cache/notes/notes.1.txt', { sha256, size }, 'fetch_1');
 */
export async function landBlob(
  chunks: AsyncIterable<Uint8Array>,
  filePath: string,
  expected: ExpectedBlob,
  tempId: string,
): Promise<{ sha256: string; size: number; file: VersionFileFingerprint }> {
  const directory = path.dirname(filePath);
  await makeDirectory(directory, 0o700);
  const tempPath = path.join(directory, tempFileName(tempId));
  try {
    const hash = createHash('sha256');
    let size = 0;
    const handle = await open(tempPath, 'wx', 0o600);
    try {
      for await (const chunk of chunks) {
        hash.update(chunk);
        let written = 0;
        while (written < chunk.length) {
          const { bytesWritten } = await handle.write(chunk, written, chunk.length - written, size + written);
          // A write that takes nothing would loop forever; a full disk is an error, so this is a broken handle.
          if (bytesWritten <= 0) throw new Error('A write took no bytes');
          written += bytesWritten;
        }
        size += chunk.length;
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    const sha256 = hash.digest('hex');
    if (sha256 !== expected.sha256 || (expected.size >= 0 && size !== expected.size)) {
      throw new VersionBlobMismatchError(`The stored bytes hash to ${sha256} (${size} bytes), not the catalogued ${expected.sha256} (${expected.size} bytes)`);
    }
    await rename(tempPath, filePath);
    await fsyncDirectory(directory);
    return { sha256, size, file: versionFileFingerprint(fingerprintOf(await stat(filePath, { bigint: true }))) };
  } catch (error) {
    await unlink(tempPath).catch(() => undefined);
    throw error;
  }
}
