import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { Objm, type ObjectStore } from '@nats-io/obj';
import { VersionBlobMissingError, VersionStoreFailedError } from '../../src/backup/errors.ts';
import { landBlob } from '../../src/cluster/blob-landing.ts';
import { deleteSnapshot, landSnapshot, putSnapshot, type BlobObjects } from '../../src/cluster/snapshot-blobs.ts';
import { SafekeepError } from '../../src/errors/safekeep-error.ts';
import type { ExpectedBlob, VersionBlobs } from '../../src/ports/version-blobs.ts';
import type { NatsLink } from './nats-link.ts';
import { bucketReplicas } from './lease-bucket.ts';
import { objectChunks } from './object-chunks.ts';
import { hexOfObjectDigest } from './object-digest.ts';

/** A download that gets no chunk for this long is given up (longer than the ~7 s a stream leader's death stops JetStream). */
const IDLE_DOWNLOAD_MS = 15_000;

/**
 * Versions' bytes in the JetStream object store `<name>-versions`, one object
 * per version file, named by the version's id (the object store encodes
 * names itself, so any id is a valid name). A put resolves only when every
 * chunk was acknowledged by JetStream with the bucket's replicas.
 */
export class ObjectBlobs implements VersionBlobs {
  readonly #link: NatsLink;
  readonly #bucket: string;
  readonly #replicas: number;
  readonly #idleDownloadMs: number;
  #store: ObjectStore | null = null;

  constructor(options: { link: NatsLink; name: string; replicas: number; idleDownloadMs?: number }) {
    this.#link = options.link;
    this.#bucket = `${options.name}-versions`;
    this.#replicas = options.replicas;
    this.#idleDownloadMs = options.idleDownloadMs ?? IDLE_DOWNLOAD_MS;
  }

  /** Creates the bucket, or opens it when it exists with the same configuration. */
  async open(): Promise<void> {
    try {
      this.#store = await new Objm(this.#link.connection).create(this.#bucket, { replicas: bucketReplicas(this.#link.connection, this.#replicas) });
    } catch (error) {
      throw new VersionStoreFailedError(`The object store '${this.#bucket}' could not be opened (${this.#replicas} replicas): ${reasonOf(error)}`, { cause: error });
    }
  }

  async putFile(name: string, filePath: string): Promise<{ sha256: string; size: number }> {
    const store = this.#ready('store the version');
    try {
      const data = Readable.toWeb(createReadStream(filePath)) as ReadableStream<Uint8Array>;
      const info = await store.put({ name }, data);
      return { sha256: hexOfObjectDigest(info.digest), size: info.size };
    } catch (error) {
      throw new VersionStoreFailedError(`The object store did not take ${name} durably: ${reasonOf(error)}`, { cause: error });
    }
  }

  async getFile(name: string, filePath: string, expected: ExpectedBlob, tempId: string) {
    const store = this.#ready('fetch the version');
    let result;
    try {
      result = await store.get(name);
    } catch (error) {
      throw new VersionStoreFailedError(`The object store could not be read for ${name}: ${reasonOf(error)}`, { cause: error });
    }
    if (!result) throw new VersionBlobMissingError(`The object store holds no bytes for ${name}`);
    return landBlob(objectChunks(result, this.#idleDownloadMs), filePath, expected, tempId);
  }

  async delete(name: string): Promise<void> {
    const store = this.#ready('remove the version');
    try {
      await store.delete(name);
    } catch (error) {
      throw new VersionStoreFailedError(`The object store did not remove ${name}: ${reasonOf(error)}`, { cause: error });
    }
  }

  putSnapshot(name: string, snapshotPath: string): Promise<{ sha256: string; size: number }> {
    return putSnapshot(this.#objects(), name, snapshotPath);
  }

  getSnapshot(name: string, snapshotPath: string, expected: ExpectedBlob, tempId: string) {
    return landSnapshot(this.#objects(), name, snapshotPath, expected, tempId);
  }

  deleteSnapshot(name: string, keep: readonly string[]): Promise<void> {
    return deleteSnapshot(this.#objects(), name, keep);
  }

  /** The object store as the snapshot helpers see it: one object per manifest and per distinct file. */
  #objects(): BlobObjects {
    return {
      sha256Of: async (name) => {
        const store = this.#ready('read the object store');
        const info = await store.info(name).catch((error: unknown) => {
          throw new VersionStoreFailedError(`The object store could not be read for ${name}: ${reasonOf(error)}`, { cause: error });
        });
        return info && !info.deleted ? hexOfObjectDigest(info.digest) : null;
      },
      putFile: (name, filePath) => this.putFile(name, filePath),
      chunksOf: async (name) => {
        const store = this.#ready('fetch the version');
        const result = await store.get(name).catch((error: unknown) => {
          throw new VersionStoreFailedError(`The object store could not be read for ${name}: ${reasonOf(error)}`, { cause: error });
        });
        return result ? objectChunks(result, this.#idleDownloadMs) : null;
      },
      delete: (name) => this.delete(name),
    };
  }

  /** The store, when the link is up: with the link down the client would queue the request, and nothing may wait on a write that is not durable. */
  #ready(what: string): ObjectStore {
    if (!this.#store) throw new VersionStoreFailedError(`The object store '${this.#bucket}' is not open, so this node cannot ${what}`);
    if (!this.#link.connected) throw new VersionStoreFailedError(`This node has lost its NATS connection, so it cannot ${what}; it will again once the connection returns`);
    return this.#store;
  }
}

/** The client's words, except for `jetstream is not enabled`, which on a cluster means no responders: no stream leader (no quorum) at the moment. */
function reasonOf(error: unknown): string {
  if (error instanceof SafekeepError) return error.message;
  const message = error instanceof Error ? error.message : String(error);
  return /jetstream is not enabled|no responders/i.test(message) ? 'JetStream has no quorum at the moment (no stream leader)' : message;
}
