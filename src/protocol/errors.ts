import { SafekeepError } from '../errors/safekeep-error.ts';

/** The request is not one this service understands. */
export class InvalidRequestError extends SafekeepError {
  readonly code = 'INVALID_REQUEST';
}

/** The request is longer than the limit (`--max-request-bytes`). */
export class RequestTooLongError extends SafekeepError {
  readonly code = 'REQUEST_TOO_LONG';
}

/** The request's bytes are not valid UTF-8. */
export class InvalidEncodingError extends SafekeepError {
  readonly code = 'INVALID_ENCODING';
}

/** The request was not answered within its time limit; what it started may still finish. */
export class RequestTimeoutError extends SafekeepError {
  readonly code = 'REQUEST_TIMEOUT';
}

/** The socket could not listen on the asked address (in use, not permitted, no such address). */
export class ListenFailedError extends SafekeepError {
  readonly code = 'LISTEN_FAILED';
}

/** The request nests objects and arrays deeper than the limit (`--max-nesting-depth`, 64 levels). */
export class RequestTooDeepError extends SafekeepError {
  readonly code = 'REQUEST_TOO_DEEP';
}

/** The request did not arrive whole within the limit (`--request-deadline`) after its first byte; the connection is closed. */
export class RequestTooSlowError extends SafekeepError {
  readonly code = 'REQUEST_TOO_SLOW';
}

/** Every connection slot (`--max-connections`) is busy with requests in flight; the connection is closed. Try again shortly. */
export class TooManyConnectionsError extends SafekeepError {
  readonly code = 'TOO_MANY_CONNECTIONS';
}
