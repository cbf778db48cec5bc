import { systemErrorCode } from '../errors/safekeep-error.ts';
import { DestinationFullError, DestinationNotWritableError, SourceNotAFileError, SourceNotFoundError, SourceUnreadableError } from './errors.ts';

/** An OS error met on the source side of a copy (a file version or a snapshot's file), as the SOURCE_* error a client understands; anything else unchanged. */
export function translateSourceError(error: unknown, sourcePath: string): unknown {
  switch (systemErrorCode(error)) {
    case 'ENOENT':
    case 'ENOTDIR':
      return new SourceNotFoundError(`${sourcePath} does not exist`, { cause: error });
    case 'EACCES':
    case 'EPERM':
    case 'ELOOP':
    case 'EIO':
      return new SourceUnreadableError(`${sourcePath} cannot be read: ${describeCopyError(error)}`, { cause: error });
    case 'EISDIR':
      return new SourceNotAFileError(`${sourcePath} is not a regular file`, { cause: error });
    default:
      return error;
  }
}

/** An OS error met on the destination side of a copy or snapshot, as DESTINATION_FULL or DESTINATION_NOT_WRITABLE; anything else unchanged. */
export function translateDestinationError(error: unknown, directory: string): unknown {
  switch (systemErrorCode(error)) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new DestinationFullError(`No space left for the copy in ${directory}`, { cause: error });
    case 'EROFS':
    case 'EACCES':
    case 'EPERM':
    case 'ENOTDIR':
    case 'EEXIST':
      return new DestinationNotWritableError(`${directory} cannot be written: ${describeCopyError(error)}`, { cause: error });
    default:
      return error;
  }
}

/** The OS's code for an error, or its message: short enough for a client's reply. */
function describeCopyError(error: unknown): string {
  return systemErrorCode(error) ?? (error instanceof Error ? error.message : String(error));
}
