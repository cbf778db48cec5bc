import { SafekeepError } from '../errors/safekeep-error.ts';

/** The host is stopping or stopped: it takes no new requests, and ones still waiting at the end of the grace period get this. */
export class HostStoppedError extends SafekeepError {
  readonly code = 'HOST_STOPPED';
}

/** An error whose code this version of safekeep does not know (a bug, or a newer peer); its message is kept. */
export class InternalError extends SafekeepError {
  readonly code: string;

  constructor(message: string, options?: { cause?: unknown; code?: string; detail?: string }) {
    super(message, options);
    this.code = options?.code ?? 'INTERNAL';
  }
}

/**
 * A request named a path outside every directory the configuration allows
 * (`--allow`, HostOptions `allowedPaths`), inside the data or backup
 * directory, or one that leaves them through `..` or a symlink.
 */
export class PathNotAllowedError extends SafekeepError {
  readonly code = 'PATH_NOT_ALLOWED';
}
