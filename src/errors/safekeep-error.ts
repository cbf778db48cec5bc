/**
 * The plain-data form of an error: what travels on the bus and over the socket.
 * Never carries a stack, a path outside the user's own, or a secret.
 */
export interface ErrorShape {
  readonly code: string;
  readonly message: string;
  /**
   * For the service log only, never rendered to a client: what the message
   * leaves out (a server path, an unexpected error's own words).
   */
  readonly detail?: string;
}

/** What a client is told of an error nobody anticipated; its own message goes to the log as the shape's `detail`. */
export const INTERNAL_ERROR_MESSAGE = 'Internal error; the service log has the details';

/**
 * Base of every error safekeep raises on purpose. Each subclass stands for one
 * failure and has a stable `code` that clients may match on; `cause` keeps the
 * underlying OS or library error for logs.
 *
 * @example
 * class SourceNotFoundError extends SafekeepError {
 *   readonly code = 'SOURCE_NOT_FOUND';
 * }
 */
export abstract class SafekeepError extends Error {
  abstract readonly code: string;
  /** For the log only (see ErrorShape.detail): the message itself must be fit for any client. */
  readonly detail: string | undefined;

  constructor(message: string, options?: { cause?: unknown; detail?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.detail = options?.detail;
  }

  toShape(): ErrorShape {
    return this.detail === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, detail: this.detail };
  }
}

/**
 * Turns anything thrown into an ErrorShape: the one place where an error
 * becomes something a client may be told. A SafekeepError's message is written
 * for clients. An error nobody anticipated gets the code INTERNAL, so a bug is
 * visible as one, and a generic sentence, because its own words may hold a
 * server path or worse; those words travel on as `detail`, for the log.
 */
export function toErrorShape(error: unknown): ErrorShape {
  if (error instanceof SafekeepError) return error.toShape();
  const detail = error instanceof Error ? error.message : String(error);
  return { code: 'INTERNAL', message: INTERNAL_ERROR_MESSAGE, detail };
}

/** The `code` of a Node.js system error (`ENOENT`, `EACCES`, …), if it has one. */
export function systemErrorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') {
    return error.code;
  }
  return undefined;
}
