import path from 'node:path';
import { VersionBlobMismatchError, VersionBlobMissingError, VersionNotHereError, VersionUnavailableError } from '../backup/errors.ts';
import { probePathOf, type BackupVersion, type VersionFileFingerprint } from '../backup/version.ts';
import { SafekeepError } from '../errors/safekeep-error.ts';
import type { IdSource } from '../ids/ids.ts';
import type { BackupFiles } from '../ports/backup-files.ts';
import type { VersionBlobs } from '../ports/version-blobs.ts';

export interface VersionCacheDeps {
  /** The cluster's object store, or null with `--version-store local` (then nothing made elsewhere can be served). */
  readonly blobs: VersionBlobs | null;
  readonly files: Pick<BackupFiles, 'statVersionFile' | 'removeVersionFile' | 'listVersionFiles'>;
  /** `<dataDir>/cache`: versions of job `id` land in `<cacheDir>/<id>/`. */
  readonly cacheDir: string;
  readonly ids: IdSource;
}

/** What a cached file looked like right after its bytes were verified. */
interface Verified {
  readonly sha256: string;
  readonly path: string;
  readonly file: VersionFileFingerprint;
}

/**
 * Versions made on other nodes, brought to this node's disk so that `revert`
 * and `restore` can answer a plain local file: fetched from the object store
 * into `<cacheDir>/<jobId>/<file name>` (temp file, fsync, rename), and kept
 * only when they hash to the catalogued SHA-256 (a snapshot: its tree beside
 * its manifest, the manifest checked against the catalog and every file
 * against the manifest). A copy cached before is reused while one `stat`
 * finds it (a snapshot: its manifest) as it was when verified (size, mtime,
 * inode), as `revert` trusts a local version file; otherwise it is fetched
 * again. What was verified is remembered in memory only: after a restart the
 * cache starts empty (`clear`) and versions are fetched afresh.
 *
 * A download that does not hash right is tried once more and then refused
 * (VERSION_UNAVAILABLE); it never marks the version damaged: the catalog's
 * word comes from the node that made and verified the version, and a bad
 * download says more about the transfer than about the bytes the store holds.
 */
export class VersionCache {
  readonly #deps: VersionCacheDeps;
  readonly #verified = new Map<string, Verified>();
  /** One fetch per version at a time: concurrent reverts of one version share it. */
  readonly #fetching = new Map<string, Promise<Verified>>();

  constructor(deps: VersionCacheDeps) {
    this.#deps = deps;
  }

  /** Where a version lands in the cache. */
  pathOf(version: Pick<BackupVersion, 'jobId' | 'path' | 'seq'>): string {
    const name = path.basename(version.path);
    return path.join(this.#deps.cacheDir, version.jobId, name === '' || name === '.' || name === '..' ? `version-${version.seq}` : name);
  }

  /**
   * The version with `path` leading to a verified local copy of its bytes,
   * fetched now unless a cached copy still looks as it did when it was
   * verified. Rejects with VERSION_NOT_HERE without an object store, and
   * VERSION_UNAVAILABLE when the bytes could not be brought here intact.
   */
  async materialise(version: BackupVersion): Promise<BackupVersion> {
    if (!this.#deps.blobs) {
      const holder = version.node === undefined ? 'another node' : `node '${version.node}'`;
      throw new VersionNotHereError(
        `The version ${version.id} was made on ${holder}, whose disk alone holds it: this node cannot serve it. Ask ${holder}, or run the cluster with --version-store nats so that versions are kept in the cluster`,
      );
    }
    const cached = this.#verified.get(version.id);
    if (cached && cached.sha256 === version.sha256 && sameFile(cached.file, await this.#deps.files.statVersionFile(probePathOf({ ...version, path: cached.path })))) return { ...version, path: cached.path };
    const verified = await this.#fetchOnce(version);
    return { ...version, path: verified.path };
  }

  /** Forgets a version that left the catalog and deletes its cached copy. */
  async evict(version: Pick<BackupVersion, 'id' | 'jobId' | 'path' | 'seq'>): Promise<void> {
    this.#verified.delete(version.id);
    await this.#deps.files.removeVersionFile(this.pathOf(version));
  }

  /** Deletes a job's whole cache folder (the job left the catalog). */
  async evictJob(jobId: string): Promise<void> {
    for (const [id, verified] of this.#verified) if (path.dirname(verified.path) === path.join(this.#deps.cacheDir, jobId)) this.#verified.delete(id);
    await this.#deps.files.removeVersionFile(path.join(this.#deps.cacheDir, jobId));
  }

  /** Empties the cache (at start: nothing in it was verified by this process, and versions may have left the catalog meanwhile). */
  async clear(): Promise<number> {
    this.#verified.clear();
    const names = await this.#deps.files.listVersionFiles(this.#deps.cacheDir);
    for (const name of names) await this.#deps.files.removeVersionFile(path.join(this.#deps.cacheDir, name));
    return names.length;
  }

  #fetchOnce(version: BackupVersion): Promise<Verified> {
    const running = this.#fetching.get(version.id);
    if (running) return running;
    const fetching = this.#fetch(version).finally(() => this.#fetching.delete(version.id));
    this.#fetching.set(version.id, fetching);
    return fetching;
  }

  async #fetch(version: BackupVersion): Promise<Verified> {
    const blobs = this.#deps.blobs as VersionBlobs;
    const target = this.pathOf(version);
    this.#verified.delete(version.id);
    let lastError: unknown;
    for (let attempt = 1; attempt <= 2; attempt++) {
      try {
        const tempId = this.#deps.ids.next('fetch');
        // A snapshot's SHA-256 is its manifest's; the manifest holds every file's, and each is checked as it lands.
        const landed =
          version.kind === 'directory'
            ? await blobs.getSnapshot(version.id, target, { sha256: version.sha256, size: version.file?.size ?? -1 }, tempId)
            : await blobs.getFile(version.id, target, { sha256: version.sha256, size: version.size }, tempId);
        const verified = { sha256: version.sha256, path: target, file: landed.file };
        this.#verified.set(version.id, verified);
        return verified;
      } catch (error) {
        lastError = error;
        // No blob is no blob: asking again gives the same answer.
        if (error instanceof VersionBlobMissingError) break;
      }
    }
    // What an earlier fetch left there is not known to be this version's bytes any more.
    await this.#deps.files.removeVersionFile(target).catch(() => undefined);
    const why = lastError instanceof VersionBlobMismatchError ? `twice the bytes did not match its SHA-256 (${lastError.message})` : lastError instanceof SafekeepError ? lastError.message : 'the object store failed';
    throw new VersionUnavailableError(`The version ${version.id} (made on node '${version.node ?? '?'}') could not be brought to this node intact: ${why}`, {
      cause: lastError,
      ...(lastError instanceof Error && !(lastError instanceof SafekeepError) ? { detail: lastError.message } : {}),
    });
  }
}

function sameFile(recorded: VersionFileFingerprint, current: VersionFileFingerprint | null): boolean {
  return current !== null && current.size === recorded.size && current.mtimeNs === recorded.mtimeNs && current.ino === recorded.ino;
}
