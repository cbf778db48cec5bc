/**
 * safekeep's public API: everything an embedding app may import. Anything not
 * named here is internal and may change.
 *
 * @example
 * import { startHost } from 'safekeep';
 * const host = await startHost({ dataDir: './data', jobs: [{ sourcePath: './notes.json', intervalMs: 60_000 }], socket: false });
 * host.bus.where$('backup.completed', (event) => event.jobId === 'notes.json').subscribe((event) => console.log(event.version.path));
 * const { version } = await host.request('backup.run', {}, { timeoutMs: 60_000 });
 * await host.stop();
 */

// The host
export { Host } from './host/host.ts';
export { startHost } from './host/start-host.ts';
export type { JobStatus } from './host/host.ts';
export type { HostOptions, SocketOptions } from './host/host-options.ts';
export type { LogOptions } from './host/host-options.ts';
export type { CompletedRun } from './host/backup-scheduler.ts';
export type { HostAdapter } from './ports/host-adapter.ts';
export type { ForgetParams, HostRequests, HostRequestName, HostRequestParams, HostRequestResult, JobAddition, JobRef, RequestOptions, VersionRef } from './host/host-requests.ts';
export type { JobKind, JobRemoval, JobReport, JobState, LastRun, RestoreReport, ServiceStatus, VersionListing } from './backup/job-report.ts';
export type { Command, CommandResult, CommandResults } from './protocol/commands.ts';

// The bus and its events
export { Bus } from './bus/bus.ts';
export type { BusOptions } from './bus/bus.ts';
export type { BusEvents, BusEventName, BusEvent, HostStarted, HostStopping, HostRepaired } from './bus/events.ts';
export type {
  BackupCompleted,
  BackupCopyStarted,
  BackupFailed,
  BackupJobsLoaded,
  BackupJobState,
  BackupPruned,
  BackupRestored,
  BackupJobRemoved,
  BackupScheduled,
  BackupVerified,
  BackupVersionDamaged,
  BackupVersionMismatch,
} from './backup/events.ts';
export type {
  ConnectionCloseReason,
  ConnectionClosed,
  ConnectionOpened,
  Dialect,
  Framing,
  JsonRequestReceived,
  ReplyForwarded,
  ReplyForwardFailed,
  ReplyOutcome,
  ReplyReady,
  ReplySent,
  RequestReceived,
  RequestSettled,
  RequestSubmitted,
  TextRequestReceived,
  TransportProblem,
} from './protocol/messages.ts';
export type { RequestType } from './protocol/request-type.ts';
export type { StoreCommand, StoreOp, StoreResult } from './store/messages.ts';
export type { NotifyChannel, NotifyFailed } from './notify/events.ts';
export type { NotifyOptions } from './host/host-options.ts';

// Backup domain
export type { BackupJob, BackupJobSpec } from './backup/job.ts';
export type { BackupVersion, DamageReason, SourceFingerprint, VersionDamage, VersionFileFingerprint } from './backup/version.ts';
export { fileMatches } from './backup/version.ts';
// Verification, also for the offline check: one version record against its file, with the local file system as `files`.
export { checkVersionFile, checkVersionRecord } from './backup/version-check.ts';
export type { VersionCheck, VerifyReport } from './backup/version-check.ts';
export { hashFile } from './backup/file-hash.ts';
export type { HashedFile } from './backup/file-hash.ts';
export { localBackupFiles } from './backup/local-backup-files.ts';
export { snapshotDirectory } from './backup/snapshot-directory.ts';
export type { SnapshotRequest, SnapshotResult } from './backup/snapshot-directory.ts';
export { checkSnapshot } from './backup/snapshot-check.ts';
export type { CheckedSnapshot } from './backup/snapshot-check.ts';
export { restoreDirectory, recoverDirectoryRestore } from './backup/restore-directory.ts';
export type { RestoredDirectory } from './backup/restore-directory.ts';
export { excludeMatcher } from './backup/snapshot-excludes.ts';
export { manifestPathOf } from './backup/snapshot-manifest.ts';
export type { ManifestEntry, SnapshotManifest } from './backup/snapshot-manifest.ts';
export type { BackupFiles } from './ports/backup-files.ts';
export { SCRUB_BYTES_PER_SECOND } from './host/verify-scheduler.ts';
export { BACKUP_MESSAGES } from './protocol/backup-messages.ts';
export type { BackupMessageType } from './protocol/backup-messages.ts';
export type { RunOutcome } from './backup/run-outcome.ts';
export { parseInterval, formatInterval } from './backup/interval.ts';
// Retention: the pure decision (for previews and offline tools) and its vocabulary.
export { decideRetention, RETENTION_RULES } from './backup/retention.ts';
export type { KeepReason, RemoveReason, RetainedVersion, RetentionDecision, RetentionPolicy, RetentionRule } from './backup/retention.ts';
export { localCalendar, utcCalendar } from './backup/retention-calendar.ts';
export type { Calendar, CalendarFields } from './backup/retention-calendar.ts';
export type { ForgetReport } from './backup/forget-report.ts';

// Password book
export type { PasswordBook, BookClient } from './book/password-book.ts';
export type { BookOptions } from './book/book-options.ts';
export { BOOK_MESSAGES, FIELD_RULES, parseBookRequest } from './book/book-messages.ts';
export type { BookMessageType, BookRequest, BookRequestOf, BookResult, BookResults } from './book/book-messages.ts';
export { OWASP_ARGON2ID } from './book/password-hasher.ts';
export type { Argon2Params } from './book/password-hasher.ts';
export type { ThrottlePolicy } from './book/token-buckets.ts';
export { checkBookDocument, checkEntryDocument, checkPendingDocument } from './book/book-check.ts';
export type { BookDocumentCheck, EntryDocumentCheck } from './book/book-check.ts';
export type { DigestState } from './book/book-digests.ts';
export { Secret } from './secret/secret.ts';

// Record and replay (recording itself is the `record` host option)
export { replayRecording } from './replay/replay.ts';
export type { Divergence, ReplayOptions, ReplayResult } from './replay/replay.ts';
export { readRecording, RecordingFormatError } from './replay/read-recording.ts';
export { RecordingUnwritableError } from './replay/recording-file.ts';
export type { Recording } from './replay/read-recording.ts';
export { RECORDING_FORMAT, INPUT_EVENTS } from './replay/recording.ts';
export type { RecordedStep, RecordingHeader, RecordingEnd } from './replay/recording.ts';
export { SecretJsonText } from './secret/secret.ts';

// Time, ids and randomness
export { cryptoRandom, seededRandom } from './random/random.ts';
export type { RandomSource } from './random/random.ts';
export { systemClock } from './clock/clock.ts';
export type { Clock, TimerHandle } from './clock/clock.ts';
export { VirtualClock } from './clock/virtual-clock.ts';
export { randomIds, sequentialIds } from './ids/ids.ts';
export type { IdSource } from './ids/ids.ts';

// Errors: one class per failure, each with a stable code
export { SafekeepError } from './errors/safekeep-error.ts';
export type { ErrorShape } from './errors/safekeep-error.ts';
export { errorFromShape } from './host/error-from-shape.ts';
export { HostStoppedError, InternalError, PathNotAllowedError } from './host/errors.ts';
export { LeaseLostError } from './cluster/lease-errors.ts';
export { LeaseTtlTooLongError } from './cluster/shared-job-check.ts';
export { ClusterConfigMismatchError, ClusterKeyMismatchError, JobNotRunningError, NodeUnreachableError } from './cluster/cluster-errors.ts';
export {
  CopyAbortedError,
  DestinationFullError,
  DestinationNotWritableError,
  InvalidRetentionPolicyError,
  JobRunsElsewhereError,
  NoBackupJobError,
  SnapshotDamagedError,
  SourceChangedDuringCopyError,
  SourceNotAFileError,
  SourceNotFoundError,
  SourceUnreadableError,
  TargetExistsError,
  TargetFolderMissingError,
  UnknownJobError,
  UnknownVersionError,
  VerificationFailedError,
  VersionBlobMismatchError,
  VersionBlobMissingError,
  VersionDamagedError,
  VersionNotHereError,
  VersionStoreFailedError,
  VersionUnavailableError,
} from './backup/errors.ts';
export { DataDirLockedError, DataDirNotWritableError, InvalidStoreCommandError, StoreConflictError, StoreCorruptError, StoreUnavailableError, StoreWriteFailedError } from './store/errors.ts';
export {
  InvalidEncodingError,
  InvalidRequestError,
  ListenFailedError,
  RequestTimeoutError,
  RequestTooDeepError,
  RequestTooLongError,
  RequestTooSlowError,
  TooManyConnectionsError,
} from './protocol/errors.ts';
export {
  CredentialsDamagedError,
  EntryExistsError,
  EntryNotFoundError,
  InvalidFieldError,
  InvalidJsonError,
  InvalidMessageError,
  LoginFailedError,
  LoginThrottledError,
  NoPendingPasswordError,
  ServiceKeyInvalidError,
  SessionInvalidError,
  UnknownTypeError,
  UsernameTakenError,
  VaultIntegrityError,
  WeakMasterPasswordError,
} from './book/errors.ts';
