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

/** A retention policy (a `--keep-*` flag, a `policy` or `retention` field) is not whole numbers from 1 up for known rules. */
export class InvalidRetentionPolicyError extends SafekeepError {
  readonly code = 'INVALID_RETENTION_POLICY';
}
