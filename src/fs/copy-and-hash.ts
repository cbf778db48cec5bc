import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';

const CHUNK_BYTES = 1024 * 1024;

/** What `copyAndHash` reads from and writes to: an open `FileHandle` is both. */
export type ReadableHandle = Pick<FileHandle, 'read'>;
export type WritableHandle = Pick<FileHandle, 'write'>;

/**
 * Copies all of `source` from its start into `target` at the same offsets,
 * hashing the bytes as they are read, and returns how many there were and
 * their SHA-256. A write may take fewer bytes than it was given (the OS is
 * allowed that); the rest are written again until the chunk is whole, so a
 * short write never leaves a hole that the hash would not show. Neither
 * handle is synced or closed: the caller decides that.
 */
export async function copyAndHash(source: ReadableHandle, target: WritableHandle, buffer: Buffer = Buffer.allocUnsafe(CHUNK_BYTES)): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  for (;;) {
    const { bytesRead } = await source.read(buffer, 0, buffer.length, size);
    if (bytesRead === 0) break;
    const chunk = buffer.subarray(0, bytesRead);
    hash.update(chunk);
    let written = 0;
    while (written < bytesRead) {
      const { bytesWritten } = await target.write(chunk, written, bytesRead - written, size + written);
      // A write that takes nothing would loop forever; the OS reports a full disk as an error, so this is a broken handle.
      if (bytesWritten <= 0) throw new Error('A write took no bytes');
      written += bytesWritten;
    }
    size += bytesRead;
  }
  return { size, sha256: hash.digest('hex') };
}
