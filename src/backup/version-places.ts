import path from 'node:path';
import { VersionCache } from '../cluster/version-cache.ts';
import type { IdSource } from '../ids/ids.ts';
import type { BackupFiles } from '../ports/backup-files.ts';
import type { VersionBlobs } from '../ports/version-blobs.ts';
import { VersionStoreFailedError } from './errors.ts';
import type { BackupVersion } from './version.ts';
import type { VersionLedger } from './version-ledger.ts';

export interface VersionPlacesDeps {
  /** This node's name in a cluster; absent on one node, where every version is local and nothing else applies. */
  readonly node: string | undefined;
  readonly blobs: VersionBlobs | null;
  readonly files: BackupFiles;
  readonly ids: IdSource;
  readonly cacheDir: string;
  readonly ledger: VersionLedger;
}

/**
 * Where a version's bytes are, and what keeping or dropping them takes: the
 * file on the disk of the node that made it, its blob in the cluster's
 * object store (with `--version-store nats`), and copies of other nodes'
 * versions in this node's cache.
 */
export class VersionPlaces {
  readonly #deps: VersionPlacesDeps;
  /** In a cluster only: versions made on other nodes, brought here to be served. */
  readonly cache: VersionCache | null;

  constructor(deps: VersionPlacesDeps) {
    this.#deps = deps;
    // The cache asks for a version's bytes by its id; they are stored under the name its record gives (see `blobNameOf`).
    const blobs = deps.blobs === null ? null : byRecordedName(deps.blobs, (id) => blobNameOf(deps.ledger.record(id) ?? { id }));
    this.cache = deps.node === undefined ? null : new VersionCache({ blobs, files: deps.files, ids: deps.ids, cacheDir: deps.cacheDir });
  }

  /** See `BackupService.isLocal`. */
  isLocal(version: Pick<BackupVersion, 'node'>): boolean {
    return this.#deps.node === undefined || version.node === undefined || version.node === this.#deps.node;
  }

  /** See `BackupService.materialise`. */
  async materialise(version: BackupVersion): Promise<BackupVersion> {
    if (this.isLocal(version) || !this.cache) return version;
    return this.cache.materialise(version);
  }

  /**
   * A new version, marked (in a cluster) as this node's; with an object store,
   * named there for this node and this attempt (`attempt`: the run's temp id),
   * so a node that fails its fence and removes its upload can never remove the
   * blob another node made for the same version id.
   */
  madeHere(version: BackupVersion, attempt: string): BackupVersion {
    const { node, blobs } = this.#deps;
    if (node === undefined) return version;
    return { ...version, node, ...(blobs ? { blob: `${version.id}~${node}~${attempt}` } : {}) };
  }

  /**
   * Puts a new version's bytes in the object store and checks that the store
   * hashed what this node hashed: a file whole; a snapshot as its files and
   * its manifest (whose SHA-256 is the version's).
   */
  async putBlob(version: BackupVersion): Promise<void> {
    const { blobs } = this.#deps;
    if (!blobs) return;
    const snapshot = version.kind === 'directory';
    const name = blobNameOf(version);
    const stored = snapshot ? await blobs.putSnapshot(name, version.path) : await blobs.putFile(name, version.path);
    const expectedSize = snapshot ? (version.file?.size ?? stored.size) : version.size;
    if (stored.sha256 !== version.sha256 || stored.size !== expectedSize) {
      throw new VersionStoreFailedError(`The object store hashed ${version.id} to ${stored.sha256} (${stored.size} bytes), not the copy's ${version.sha256} (${version.size} bytes); the version was not registered`);
    }
  }

  /** A version's blob; a snapshot's files only where none of the job's other snapshots still catalogued holds them. */
  async deleteBlob(version: BackupVersion): Promise<void> {
    const { blobs } = this.#deps;
    if (!blobs) return;
    if (version.kind !== 'directory') return blobs.delete(blobNameOf(version));
    const keep = this.#deps.ledger.recordsOf(version.jobId).filter((other) => other.kind === 'directory' && other.id !== version.id).map(blobNameOf);
    return blobs.deleteSnapshot(blobNameOf(version), keep);
  }

  /**
   * Removes what an attempt that was not registered put in the object store:
   * its own blob (a snapshot's manifest) only. A snapshot's files are stored
   * by content for the whole job, and another node's snapshot (not yet in
   * this node's catalog) may hold the same ones: they are left.
   */
  async deleteAttemptBlob(version: BackupVersion): Promise<void> {
    await this.#deps.blobs?.delete(blobNameOf(version));
  }

  /** Deletes what is kept of a version this node removed from the catalog: its file when this node holds it (never another node's path), its cached copy, its blob. */
  async removeAll(version: BackupVersion): Promise<void> {
    await this.dropHere(version);
    await this.deleteBlob(version);
  }

  /** Deletes what this node's disk holds of a version that left the catalog: its own file (an orphan now), or its cached copy. */
  async dropHere(version: BackupVersion): Promise<void> {
    if (this.isLocal(version)) await this.#deps.files.removeVersionFile(version.path);
    else await this.cache?.evict(version);
  }
}

/** `<dataDir>/cache` when the host does not say (it always does): beside the data, never inside the backup folder, where it would look like a job's. */
export function defaultCacheDir(ownFolders: readonly string[] | undefined, backupDir: string): string {
  const dataDir = ownFolders?.[0];
  return dataDir === undefined ? `${backupDir}-cache` : path.join(dataDir, 'cache');
}

/** The name a version's bytes have in the object store: the one its record gives, else (records made before names were per attempt) its id. */
export function blobNameOf(version: Pick<BackupVersion, 'id' | 'blob'>): string {
  return version.blob ?? version.id;
}

/** `blobs` asked for a version's bytes by its id (as the cache asks), answered from the name `nameOf` gives for that id. */
function byRecordedName(blobs: VersionBlobs, nameOf: (id: string) => string): VersionBlobs {
  return {
    putFile: (id, filePath) => blobs.putFile(nameOf(id), filePath),
    getFile: (id, filePath, expected, tempId) => blobs.getFile(nameOf(id), filePath, expected, tempId),
    delete: (id) => blobs.delete(nameOf(id)),
    putSnapshot: (id, snapshotPath) => blobs.putSnapshot(nameOf(id), snapshotPath),
    getSnapshot: (id, snapshotPath, expected, tempId) => blobs.getSnapshot(nameOf(id), snapshotPath, expected, tempId),
    deleteSnapshot: (id, keep) => blobs.deleteSnapshot(nameOf(id), keep.map(nameOf)),
  };
}
