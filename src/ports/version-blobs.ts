/**
 * Where versions' bytes are kept beyond the disk of the node that made them
 * (the cluster's JetStream object store, `--version-store nats`), so any node
 * can serve them. Names are the backup engine's; the adapter maps them to
 * what its store allows.
 */
export interface VersionBlobs {
  /**
   * Stores the file at `filePath` under `name`; resolves only once the store
   * acknowledged all of it with its replicas, and with the SHA-256 (hex) the
   * store computed, which the caller compares with its own.
   */
  putFile(name: string, filePath: string): Promise<{ readonly sha256: string; readonly size: number }>;
  /**
   * Writes the bytes stored under `name` to `filePath` (created, or
   * replaced), resolving with their SHA-256 (hex) as written; rejects with
   * `VersionBlobMissingError` when there is no such blob.
   */
  getFile(name: string, filePath: string): Promise<{ readonly sha256: string; readonly size: number }>;
  /** Removes a blob; resolves also when there was none. */
  delete(name: string): Promise<void>;
}

export const VERSION_BLOBS_OPS = ['putFile', 'getFile', 'delete'] as const satisfies readonly (keyof VersionBlobs)[];
