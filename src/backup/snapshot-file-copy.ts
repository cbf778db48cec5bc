import { createHash } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { CopyAbortedError, SourceChangedDuringCopyError } from './errors.ts';
import { translateDestinationError as destinationError, translateSourceError as sourceError } from './copy-errors.ts';
import type { EntryFingerprint } from './snapshot-manifest.ts';

/** How often a file that changes while it is read is read again before the run gives up on it. */
export const TORN_FILE_ATTEMPTS = 3;

/** A test's window into a copy: called after a file's bytes were read and before it is checked for change. */
export type AfterReadHook = (relativePath: string, attempt: number) => Promise<void> | void;

export interface CopiedFile {
  readonly size: number;
  readonly sha256: string;
  readonly mtimeNs: string;
  readonly mode: number;
  readonly source: EntryFingerprint;
}

/**
 * Copies one source file into the snapshot being built, hashing it on the
 * way, and proves it was not torn: its size, mtime and ctime when opened
 * must be what they are after the last byte, and the bytes read its size.
 * A file that changed is read again, up to TORN_FILE_ATTEMPTS times; then
 * the run fails with SOURCE_CHANGED_DURING_COPY, so no torn file is stored.
 * The copy is fsynced and gets the source's mode and mtime.
 */
export async function copySnapshotFile(input: {
  readonly sourcePath: string;
  readonly relativePath: string;
  readonly targetPath: string;
  readonly buffer: Buffer;
  readonly signal?: AbortSignal | undefined;
  readonly afterRead?: AfterReadHook | undefined;
}): Promise<CopiedFile> {
  for (let attempt = 1; ; attempt++) {
    const copied = await copyOnce(input, attempt);
    if (copied) return copied;
    await unlink(input.targetPath).catch(() => undefined);
    if (attempt >= TORN_FILE_ATTEMPTS) {
      throw new SourceChangedDuringCopyError(`${input.relativePath} kept changing while it was read (${attempt} tries); the snapshot was discarded`);
    }
  }
}

/** One try: the copy, or null when the source changed meanwhile (the partial copy is left for the caller to remove). */
async function copyOnce(input: Parameters<typeof copySnapshotFile>[0], attempt: number): Promise<CopiedFile | null> {
  let source: FileHandle;
  try {
    source = await open(input.sourcePath, 'r');
  } catch (error) {
    throw sourceError(error, input.relativePath);
  }
  try {
    const opened = await source.stat({ bigint: true });
    let target: FileHandle;
    try {
      target = await open(input.targetPath, 'wx', 0o600);
    } catch (error) {
      throw destinationError(error, input.targetPath);
    }
    try {
      const hash = createHash('sha256');
      let size = 0;
      // Up to the size it had when opened: a file that grew meanwhile is caught by the check after, without a read that finds the end.
      while (BigInt(size) < opened.size) {
        if (input.signal?.aborted) throw new CopyAbortedError('The snapshot was stopped before it finished');
        const { bytesRead } = await source.read(input.buffer, 0, input.buffer.length, size).catch((error: unknown) => {
          throw sourceError(error, input.relativePath);
        });
        if (bytesRead === 0) break;
        const chunk = input.buffer.subarray(0, bytesRead);
        hash.update(chunk);
        await writeAll(target, chunk, size);
        size += bytesRead;
      }
      await input.afterRead?.(input.relativePath, attempt);
      const after = await source.stat({ bigint: true });
      if (!unchangedWhileRead(opened, after) || BigInt(size) !== opened.size) return null;
      const mode = Number(opened.mode & 0o7777n);
      await target.chmod(mode);
      // utimes takes seconds; the manifest keeps the exact nanoseconds.
      await target.utimes(Number(opened.atimeNs / 1000n) / 1e6, Number(opened.mtimeNs / 1000n) / 1e6);
      await target.sync();
      return {
        size,
        sha256: hash.digest('hex'),
        mtimeNs: opened.mtimeNs.toString(),
        mode,
        source: entryFingerprint(opened),
      };
    } catch (error) {
      throw destinationError(error, input.targetPath);
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}

function unchangedWhileRead(before: BigIntStats, after: BigIntStats): boolean {
  return before.size === after.size && before.mtimeNs === after.mtimeNs && before.ctimeNs === after.ctimeNs && before.ino === after.ino;
}

/** The part of a source file's `lstat` that says it is unchanged without reading it. */
export function entryFingerprint(stats: BigIntStats): EntryFingerprint {
  return { mtimeNs: stats.mtimeNs.toString(), ctimeNs: stats.ctimeNs.toString(), ino: stats.ino.toString(), dev: stats.dev.toString() };
}

async function writeAll(file: FileHandle, chunk: Buffer, position: number): Promise<void> {
  let written = 0;
  while (written < chunk.length) {
    const { bytesWritten } = await file.write(chunk, written, chunk.length - written, position + written);
    written += bytesWritten;
  }
}
