import type { VersionFileFingerprint } from '../backup/version.ts';

/** What a blob must hash to before it may land at its path. */
export interface ExpectedBlob {
  /** Hex SHA-256. */
  readonly sha256: string;
  /** Bytes; negative when not known (a snapshot record from before manifests' sizes were kept). */
  readonly size: number;
}

/**
 * Where versions' bytes are kept beyond the disk of the node that made them
 * (the cluster's JetStream object store, `--version-store nats`), so any node
 * can serve them. Names are the backup engine's; the adapter maps them to
 * what its store allows. Every result is plain data, so a recording can hold
 * it and a replay hand it back.
 */
export interface VersionBlobs {
  /**
   * Stores the file at `filePath` under `name` (replacing what was there);
   * resolves only once the store acknowledged all of it with its replicas,
   * and with the SHA-256 (hex) the store computed, which the caller compares
   * with its own. Rejects with `VersionStoreFailedError`.
   */
  putFile(name: string, filePath: string): Promise<{ readonly sha256: string; readonly size: number }>;
  /**
   * Brings the bytes stored under `name` to `filePath`, complete or not at
   * all: they are written to a temp file beside it (named with `tempId`),
   * hashed as they are written and fsynced; only if they are `expected` is the
   * temp file renamed over `filePath` (and the folder fsynced). Resolves with
   * the landed file's fingerprint. Rejects with `VersionBlobMissingError` when
   * there is no such blob, `VersionBlobMismatchError` when the bytes are not
   * the expected ones; on any failure no temp file is left.
   */
  getFile(name: string, filePath: string, expected: ExpectedBlob, tempId: string): Promise<{ readonly sha256: string; readonly size: number; readonly file: VersionFileFingerprint }>;
  /** Removes a blob; resolves also when there was none. */
  delete(name: string): Promise<void>;
  /**
   * Stores a directory version (a snapshot at `snapshotPath`, its manifest
   * beside it) under `name`: each file of its manifest content-addressed
   * within the job (so a file unchanged between snapshots is stored once),
   * then the manifest. Resolves with the manifest's SHA-256 and size as
   * the store computed them.
   */
  putSnapshot(name: string, snapshotPath: string): Promise<{ readonly sha256: string; readonly size: number }>;
  /**
   * Brings a stored snapshot to `snapshotPath` and its manifest beside it,
   * whole and verified (the manifest against `expected`, each file against
   * the manifest) or not at all; resolves with the manifest file's fingerprint.
   */
  getSnapshot(name: string, snapshotPath: string, expected: ExpectedBlob, tempId: string): Promise<{ readonly sha256: string; readonly size: number; readonly file: VersionFileFingerprint }>;
  /** Removes a stored snapshot, keeping the files that the snapshots named in `keep` (the job's others) hold too. */
  deleteSnapshot(name: string, keep: readonly string[]): Promise<void>;
}

export const VERSION_BLOBS_OPS = ['putFile', 'getFile', 'delete', 'putSnapshot', 'getSnapshot', 'deleteSnapshot'] as const satisfies readonly (keyof VersionBlobs)[];
