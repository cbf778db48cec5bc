import { systemErrorCode } from '../errors/safekeep-error.ts';
import { DestinationFullError, DestinationNotWritableError, SourceNotFoundError, SourceUnreadableError } from './errors.ts';

/** An OS error met while reading a snapshot's source, as the backup error it means (others pass through). */
export function sourceError(error: unknown, where: string): unknown {
  switch (systemErrorCode(error)) {
    case 'ENOENT':
    case 'ENOTDIR':
      return new SourceNotFoundError(`${where} does not exist`, { cause: error });
    case 'EACCES':
    case 'EPERM':
    case 'ELOOP':
    case 'EIO':
      return new SourceUnreadableError(`${where} cannot be read: ${systemErrorCode(error)}`, { cause: error });
    default:
      return error;
  }
}

/** An OS error met while writing a snapshot, as the backup error it means (others pass through). */
export function destinationError(error: unknown, directory: string): unknown {
  switch (systemErrorCode(error)) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new DestinationFullError(`No space left for the snapshot in ${directory}`, { cause: error });
    case 'EROFS':
    case 'EACCES':
    case 'EPERM':
    case 'ENOTDIR':
    case 'EEXIST':
      return new DestinationNotWritableError(`${directory} cannot be written: ${systemErrorCode(error)}`, { cause: error });
    default:
      return error;
  }
}
