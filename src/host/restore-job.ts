import path from 'node:path';
import type { BackupService } from '../backup/backup-service.ts';
import { SourceNotFoundError, TargetExistsError, TargetFolderMissingError, UnknownVersionError, VersionDamagedError } from '../backup/errors.ts';
import type { BackupJob } from '../backup/job.ts';
import { versionKind, type RestoreReport } from '../backup/job-report.ts';
import type { BackupVersion } from '../backup/version.ts';
import type { VersionVerifier } from '../backup/version-verifier.ts';
import type { IdSource } from '../ids/ids.ts';
import type { BackupFiles } from '../ports/backup-files.ts';
import type { BackupScheduler } from './backup-scheduler.ts';
import { errorFromShape } from './error-from-shape.ts';
import { findVersion } from './find-version.ts';
import type { PathPolicy } from './path-policy.ts';

export interface RestoreDeps {
  readonly service: BackupService;
  readonly scheduler: BackupScheduler;
  readonly verifier: VersionVerifier;
  readonly policy: PathPolicy;
  readonly files: BackupFiles;
  readonly ids: IdSource;
}

/**
 * Puts a version of `job` back: at its source (always allowed), or at
 * `target`, which must lead inside an allowed directory and must not exist
 * yet, so nothing that was never backed up is overwritten. The version's file
 * is re-hashed first (a damaged one is quarantined and refused). Over the
 * source, what the source holds now is first kept as a version, by a run of
 * the job serialized with its scheduled runs, so the restore can be undone by
 * restoring that version; a source identical to the version is left as it is.
 */
export async function restoreJob(deps: RestoreDeps, job: BackupJob, versionRef: string | undefined, target: string | undefined): Promise<RestoreReport> {
  const { service } = deps;
  const version = versionRef === undefined ? await newestGood(service, job) : await findVersion(service, job, versionRef);
  // Pinned until it is copied: the keep-current run's prune, or a `forget`, must not remove the version being restored.
  const release = service.pin(version.id);
  try {
    return await restorePinned(deps, job, version, target);
  } finally {
    release();
  }
}

async function restorePinned(deps: RestoreDeps, job: BackupJob, version: BackupVersion, target: string | undefined): Promise<RestoreReport> {
  const { service, verifier, files, ids } = deps;
  const toSource = target === undefined || path.resolve(target) === job.sourcePath;
  const lookup = await (toSource ? files.lookUpPath(job.sourcePath) : deps.policy.check(target as string));
  const replace = toSource || lookup.real === (await files.lookUpPath(job.sourcePath)).real;
  if (!replace && lookup.exists) throw new TargetExistsError(`Something is already at '${target}'; a restore there never overwrites (restore to a new name)`);
  if (!lookup.folderExists) throw new TargetFolderMissingError(toSource ? "The job's source folder does not exist" : `The folder of '${target}' does not exist`);

  // Re-hashed now: a damaged version is quarantined by the verifier, and never written anywhere.
  await verifier.verifyOne(version);
  const checked = service.record(version.id);
  if (!checked) throw new UnknownVersionError(`The version ${version.id} was removed meanwhile`);
  if (checked.damaged) throw new VersionDamagedError(`The version ${version.id} is damaged (${checked.damaged.reason}) and now quarantined; nothing was restored`);

  // Another node's version is restored from a verified copy in this node's cache.
  const served = await service.materialise(checked);
  const previous = replace ? await keepCurrentSource(deps, job) : null;
  const request = { versionPath: served.path, sha256: checked.sha256, size: checked.size, target: lookup.real, tempId: ids.next('restore'), replace };
  // A snapshot is rebuilt beside the target and swapped in whole (see restoreDirectory); its bytes are checked against its manifest as they are copied.
  if (versionKind(checked) === 'directory') await service.restoreDirectory(job.id, { version: { path: served.path, sha256: checked.sha256, kind: 'directory' }, target: lookup.real, tempId: request.tempId, replace });
  else if (!previous || !sameBytes(previous, checked)) await files.restoreFile(request);
  return { jobId: job.id, version: checked, target: lookup.real, previous: previous && !sameBytes(previous, checked) ? previous : null };
}

async function newestGood(service: BackupService, job: BackupJob): Promise<BackupVersion> {
  const newest = await service.revertable(job.id);
  if (!newest) throw new UnknownVersionError(`The job '${job.id}' has no intact version to restore`);
  return newest;
}

/** Backs the source up as it is now; null when there is nothing there to keep. */
async function keepCurrentSource(deps: RestoreDeps, job: BackupJob): Promise<BackupVersion | null> {
  try {
    if (deps.scheduler.isActive(job.id)) return (await deps.scheduler.runNow(job.id)).version;
    const outcome = await deps.service.run(job.id);
    if (!outcome.ok) throw errorFromShape(outcome.error);
    return outcome.version;
  } catch (error) {
    if (error instanceof SourceNotFoundError) return null;
    throw error;
  }
}

function sameBytes(a: BackupVersion, b: BackupVersion): boolean {
  return a.sha256 === b.sha256 && a.size === b.size;
}
