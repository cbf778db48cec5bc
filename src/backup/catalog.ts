import type { StoreClient } from '../store/store-client.ts';
import type { BackupJob } from './job.ts';
import type { BackupVersion } from './version.ts';

const JOBS = 'backup.jobs';
const VERSIONS = 'backup.versions';

/**
 * The backup catalog (jobs and their registered versions), kept in the store.
 * Every write resolves only once it is durable.
 */
export class BackupCatalog {
  readonly #store: StoreClient;

  constructor(store: StoreClient) {
    this.#store = store;
  }

  async load(): Promise<{ jobs: BackupJob[]; versions: BackupVersion[] }> {
    const [jobs, versions] = await Promise.all([
      this.#store.list<BackupJob>(JOBS),
      this.#store.list<BackupVersion>(VERSIONS),
    ]);
    return {
      jobs: Object.values(jobs).filter(isJob),
      versions: Object.values(versions).filter(isVersion),
    };
  }

  saveJob(job: BackupJob): Promise<void> {
    return this.#store.put(JOBS, job.id, job);
  }

  saveVersion(version: BackupVersion): Promise<void> {
    return this.#store.put(VERSIONS, version.id, version);
  }

  deleteVersion(versionId: string): Promise<void> {
    return this.#store.delete(VERSIONS, versionId);
  }
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
