import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { VersionBlobMissingError, VersionStoreFailedError } from '../../src/backup/errors.ts';
import { landBlob } from '../../src/cluster/blob-landing.ts';
import { deleteSnapshot, landSnapshot, putSnapshot, type BlobObjects } from '../../src/cluster/snapshot-blobs.ts';
import type { ExpectedBlob, VersionBlobs } from '../../src/ports/version-blobs.ts';

/**
 * An in-memory stand-in for the cluster's object store (a test double of our
 * own port): blobs in a Map, landed on disk the way the real adapter lands
 * them (`landBlob`). Faults can be asked for: the next puts fail, a put
 * reports another digest, gets hand out bytes with one byte flipped.
 */
export class MemoryBlobs implements VersionBlobs {
  readonly blobs = new Map<string, Buffer>();
  readonly calls = { put: 0, get: 0, delete: 0 };
  /** How many of the next puts fail (as JetStream without quorum would). */
  failPuts = 0;
  /** The next puts report this digest instead of the true one. */
  wrongDigest = false;
  /** How many of the next gets hand out bytes with their first byte flipped. */
  corruptGets = 0;

  async putFile(name: string, filePath: string): Promise<{ sha256: string; size: number }> {
    this.calls.put++;
    if (this.failPuts > 0) {
      this.failPuts--;
      throw new VersionStoreFailedError(`The object store did not take ${name} durably: no quorum (test)`);
    }
    const bytes = await readFile(filePath);
    this.blobs.set(name, bytes);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    return { sha256: this.wrongDigest ? sha256.replace(/^./, (c) => (c === '0' ? '1' : '0')) : sha256, size: bytes.length };
  }

  async getFile(name: string, filePath: string, expected: ExpectedBlob, tempId: string) {
    this.calls.get++;
    const stored = this.blobs.get(name);
    if (!stored) throw new VersionBlobMissingError(`The object store holds no bytes for ${name}`);
    const bytes = Buffer.from(stored);
    if (this.corruptGets > 0 && bytes.length > 0) {
      this.corruptGets--;
      bytes[0] = (bytes[0] as number) ^ 0xff;
    }
    return landBlob(chunksOf(bytes), filePath, expected, tempId);
  }

  async delete(name: string): Promise<void> {
    this.calls.delete++;
    this.blobs.delete(name);
  }

  putSnapshot(name: string, snapshotPath: string) {
    return putSnapshot(this.#objects(), name, snapshotPath);
  }

  getSnapshot(name: string, snapshotPath: string, expected: ExpectedBlob, tempId: string) {
    this.calls.get++;
    return landSnapshot(this.#objects(), name, snapshotPath, expected, tempId);
  }

  deleteSnapshot(name: string, keep: readonly string[]) {
    return deleteSnapshot(this.#objects(), name, keep);
  }

  #objects(): BlobObjects {
    return {
      sha256Of: async (name) => {
        const bytes = this.blobs.get(name);
        return bytes ? createHash('sha256').update(bytes).digest('hex') : null;
      },
      putFile: (name, filePath) => this.putFile(name, filePath),
      chunksOf: async (name) => {
        const bytes = this.blobs.get(name);
        return bytes ? chunksOf(Buffer.from(bytes)) : null;
      },
      delete: (name) => this.delete(name),
    };
  }
}

async function* chunksOf(bytes: Buffer, size = 1024): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < bytes.length; offset += size) yield bytes.subarray(offset, offset + size);
}
