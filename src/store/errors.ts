import { SafekeepError } from '../errors/safekeep-error.ts';

/** Another live process owns the data directory. */
export class DataDirLockedError extends SafekeepError {
  readonly code = 'DATA_DIR_LOCKED';
}

/** A store file exists but is not what safekeep wrote; it is left untouched for a human to look at. */
export class StoreCorruptError extends SafekeepError {
  readonly code = 'STORE_CORRUPT';
}

/** A write could not be made durable (disk full, read-only, I/O error); nothing of it was kept. */
export class StoreWriteFailedError extends SafekeepError {
  readonly code = 'STORE_WRITE_FAILED';
}

/** A store command that names no valid collection or key. */
export class InvalidStoreCommandError extends SafekeepError {
  readonly code = 'INVALID_STORE_COMMAND';
}

/** A conditional write (`ifUnchangedSince`) found that something was written since: nothing was written. */
export class StoreConflictError extends SafekeepError {
  readonly code = 'STORE_CONFLICT';
}

/** No store adapter is on the bus (none was started, or it was stopped). */
export class StoreUnavailableError extends SafekeepError {
  readonly code = 'STORE_UNAVAILABLE';
}

/** The data directory cannot be created or written (no permission, a read-only or full disk, not a folder). */
export class DataDirNotWritableError extends SafekeepError {
  readonly code = 'DATA_DIR_NOT_WRITABLE';
}
