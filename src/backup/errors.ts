import { SafekeepError } from '../errors/safekeep-error.ts';

/** The source file does not exist (any more). */
export class SourceNotFoundError extends SafekeepError {
  readonly code = 'SOURCE_NOT_FOUND';
}

/** The source exists but this process may not read it. */
export class SourceUnreadableError extends SafekeepError {
  readonly code = 'SOURCE_UNREADABLE';
}

/** The source is a directory, socket, device…: only regular files are backed up. */
export class SourceNotAFileError extends SafekeepError {
  readonly code = 'SOURCE_NOT_A_FILE';
}

/** The source was written to while it was being copied, so the copy may be torn. */
export class SourceChangedDuringCopyError extends SafekeepError {
  readonly code = 'SOURCE_CHANGED_DURING_COPY';
}

/** The destination file system has no room (ENOSPC, EDQUOT). */
export class DestinationFullError extends SafekeepError {
  readonly code = 'DESTINATION_FULL';
}

/** The destination cannot be written (read-only file system, no permission). */
export class DestinationNotWritableError extends SafekeepError {
  readonly code = 'DESTINATION_NOT_WRITABLE';
}

/** Reading the finished copy back did not give the bytes that were written. */
export class VerificationFailedError extends SafekeepError {
  readonly code = 'VERIFICATION_FAILED';
}

/** The copy was stopped (the host is shutting down) and its temp file removed. */
export class CopyAbortedError extends SafekeepError {
  readonly code = 'COPY_ABORTED';
}

/** A request named a backup job that does not exist. */
export class UnknownJobError extends SafekeepError {
  readonly code = 'UNKNOWN_JOB';
}

/** The service was asked to back up while it has no backup job at all. */
export class NoBackupJobError extends SafekeepError {
  readonly code = 'NO_BACKUP_JOB';
}

/** A request named a version its job does not have (by its number or its id). */
export class UnknownVersionError extends SafekeepError {
  readonly code = 'UNKNOWN_VERSION';
}

/** The version asked for is quarantined (its file is not what was registered): it is never served or restored. */
export class VersionDamagedError extends SafekeepError {
  readonly code = 'VERSION_DAMAGED';
}

/** A restore to a path other than the job's source found something already there: nothing not backed up is overwritten. */
export class TargetExistsError extends SafekeepError {
  readonly code = 'TARGET_EXISTS';
}

/** A restore's target is in a folder that does not exist (or is not a folder). */
export class TargetFolderMissingError extends SafekeepError {
  readonly code = 'TARGET_FOLDER_MISSING';
}

/** A retention policy (a `--keep-*` flag, a `policy` or `retention` field) is not whole numbers from 1 up for known rules. */
export class InvalidRetentionPolicyError extends SafekeepError {
  readonly code = 'INVALID_RETENTION_POLICY';
}

/** A snapshot's manifest or one of its files is not what was registered, so it cannot be restored as it was. */
export class SnapshotDamagedError extends SafekeepError {
  readonly code = 'SNAPSHOT_DAMAGED';
}

/** A directory restore over its source would delete what no snapshot holds (excluded, skipped, or safekeep's own folders): it is refused, nothing changed. */
export class RestoreWouldDeleteError extends SafekeepError {
  readonly code = 'RESTORE_WOULD_DELETE';
}

/** The cluster's object store did not take a new version's bytes durably (no quorum, link down, digest not the copy's): the run failed and nothing was registered. */
export class VersionStoreFailedError extends SafekeepError {
  readonly code = 'VERSION_STORE_FAILED';
}

/** The object store holds no bytes under a version's name. */
export class VersionBlobMissingError extends SafekeepError {
  readonly code = 'VERSION_BLOB_MISSING';
}

/** The bytes the object store gave for a version do not hash to the catalogued SHA-256 (or have another size); nothing was kept. */
export class VersionBlobMismatchError extends SafekeepError {
  readonly code = 'VERSION_BLOB_MISMATCH';
}

/** A version made on another node whose bytes are on that node's disk only (`--version-store local`): this node cannot serve it. */
export class VersionNotHereError extends SafekeepError {
  readonly code = 'VERSION_NOT_HERE';
}

/** A version made on another node could not be brought to this node's cache intact (the object store failed, or gave other bytes twice). */
export class VersionUnavailableError extends SafekeepError {
  readonly code = 'VERSION_UNAVAILABLE';
}

/** In a cluster: the job runs on another node (its source is there), or on whichever node holds a shared job's lease; this node does not run it. */
export class JobRunsElsewhereError extends SafekeepError {
  readonly code = 'JOB_RUNS_ELSEWHERE';
}
