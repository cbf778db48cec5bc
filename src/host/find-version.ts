import type { BackupService } from '../backup/backup-service.ts';
import { UnknownVersionError, VersionDamagedError } from '../backup/errors.ts';
import type { BackupJob } from '../backup/job.ts';
import type { BackupVersion } from '../backup/version.ts';

/**
 * The version of `job` that `ref` names (its number, `3`, or its id,
 * `notes.json@3`), fit to be served: UNKNOWN_VERSION when the job has no such
 * version, VERSION_DAMAGED when it is quarantined or its file no longer
 * matches what was registered (it is then verified at once, as `revert`'s
 * own check does, and offered again if intact). A version made on another
 * node comes with `path` leading to a verified copy in this node's cache.
 */
export async function findVersion(service: BackupService, job: BackupJob, ref: string): Promise<BackupVersion> {
  const at = ref.lastIndexOf('@');
  const seq = Number(at < 0 ? ref : ref.slice(at + 1));
  const version = at < 0 || ref.slice(0, at) === job.id ? service.catalogedVersions(job.id).find((listed) => listed.seq === seq) : undefined;
  if (!version) throw new UnknownVersionError(`The job '${job.id}' has no version '${ref}'`);
  if (version.damaged) throw new VersionDamagedError(`The version ${version.id} is damaged (${version.damaged.reason}) and quarantined; choose another`);
  if (!(await service.servable(version))) {
    throw new VersionDamagedError(`The version ${version.id} is not as it was registered; it is being verified and is not served until it proves intact`);
  }
  // In a cluster, another node's version is answered as a verified copy in this node's cache.
  return service.materialise(version);
}
