import { digestState, withDigest } from '../integrity/record-digest.ts';
import type { StoreClient } from '../store/store-client.ts';
import type { BackupJob } from './job.ts';
import { jobWithRetention } from './legacy-job-record.ts';
import type { BackupVersion } from './version.ts';

const JOBS = 'backup.jobs';
const VERSIONS = 'backup.versions';

/** A catalog record that failed its digest: kept on disk for `safekeep check`, never trusted. */
export interface DamagedRecord {
  /** The record's key in its collection (a job id, a version id). */
  readonly key: string;
  /** The record as stored, for what little can still be used (its path, to keep its file from being taken for an orphan). */
  readonly stored: unknown;
}

export interface CatalogContents {
  readonly jobs: BackupJob[];
  readonly versions: BackupVersion[];
  readonly damagedJobs: DamagedRecord[];
  readonly damagedVersions: DamagedRecord[];
  /** Catalog shards that could not be read: the jobs and versions in them are unknown, so no file may be taken for an orphan. */
  readonly unreadableShards: string[];
}

/**
 * The backup catalog (jobs and their registered versions), kept in the store.
 * Every write resolves only once it is durable, and every record is written
 * with its own digest, so a changed byte (a catalogued `sha256` edited, a path
 * moved) is found and contained to that record.
 */
export class BackupCatalog {
  readonly #store: StoreClient;

  constructor(store: StoreClient) {
    this.#store = store;
  }

  async load(): Promise<CatalogContents> {
    const [whole, wholeVersions] = await Promise.all([this.#store.listWhole<unknown>(JOBS), this.#store.listWhole<unknown>(VERSIONS)]);
    const jobs = whole.documents;
    const versions = wholeVersions.documents;
    const unreadableShards = [
      ...whole.damagedShards.map((shard) => `${JOBS} shard ${shard}`),
      ...wholeVersions.damagedShards.map((shard) => `${VERSIONS} shard ${shard}`),
    ];
    const contents: CatalogContents = { jobs: [], versions: [], damagedJobs: [], damagedVersions: [], unreadableShards };
    for (const [key, stored] of Object.entries(jobs)) {
      if (isDamaged(stored)) contents.damagedJobs.push({ key, stored });
      else if (isJob(stored)) contents.jobs.push(jobWithRetention(withoutDigest(stored)));
    }
    for (const [key, stored] of Object.entries(versions)) {
      if (isDamaged(stored)) contents.damagedVersions.push({ key, stored });
      else if (isVersion(stored)) contents.versions.push(withoutDigest(stored));
    }
    return contents;
  }

  saveJob(job: BackupJob): Promise<void> {
    return this.#store.put(JOBS, job.id, withDigest(job));
  }

  saveVersion(version: BackupVersion): Promise<void> {
    return this.#store.put(VERSIONS, version.id, withDigest(version));
  }

  /** Whether the catalog holds a record under this version id now (another node's included, trusted or not). */
  async hasVersion(versionId: string): Promise<boolean> {
    return (await this.#store.get<unknown>(VERSIONS, versionId)) !== undefined;
  }

  deleteVersion(versionId: string): Promise<void> {
    return this.#store.delete(VERSIONS, versionId);
  }

  deleteJob(jobId: string): Promise<void> {
    return this.#store.delete(JOBS, jobId);
  }
}

/** A catalog record as another node wrote it (`store.changed`), read as `load` reads each: failing its digest, not one of ours, or trusted. */
export type CatalogRecord<T> = { readonly kind: 'damaged' } | { readonly kind: 'foreign' } | { readonly kind: 'trusted'; readonly record: T };

/** The collections the catalog keeps, for whoever applies another node's writes. */
export const CATALOG_COLLECTIONS = { jobs: JOBS, versions: VERSIONS } as const;

export function readJobRecord(stored: unknown): CatalogRecord<BackupJob> {
  if (isDamaged(stored)) return { kind: 'damaged' };
  return isJob(stored) ? { kind: 'trusted', record: jobWithRetention(withoutDigest(stored)) } : { kind: 'foreign' };
}

export function readVersionRecord(stored: unknown): CatalogRecord<BackupVersion> {
  if (isDamaged(stored)) return { kind: 'damaged' };
  return isVersion(stored) ? { kind: 'trusted', record: withoutDigest(stored) } : { kind: 'foreign' };
}

/** Records written before digests existed (`unchecked`) are accepted as they are. */
function isDamaged(stored: unknown): boolean {
  return typeof stored === 'object' && stored !== null && digestState(stored) === 'damaged';
}

function withoutDigest<T extends object>(record: T): T {
  const { digest: _digest, ...rest } = record as T & { digest?: unknown };
  return rest as T;
}

// The files are ours, but a hand edit must not crash the service: records that are not what we wrote are skipped.
function isJob(value: unknown): value is BackupJob {
  const job = value as Partial<BackupJob> | null;
  return typeof job?.id === 'string' && typeof job.sourcePath === 'string' && typeof job.intervalMs === 'number' && job.intervalMs > 0;
}

function isVersion(value: unknown): value is BackupVersion {
  const version = value as Partial<BackupVersion> | null;
  return (
    typeof version?.id === 'string' &&
    typeof version.jobId === 'string' &&
    typeof version.seq === 'number' &&
    typeof version.path === 'string' &&
    typeof version.sha256 === 'string' &&
    typeof version.createdAt === 'number' &&
    typeof version.source === 'object'
  );
}
