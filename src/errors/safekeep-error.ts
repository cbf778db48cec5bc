/**
 * The plain-data form of an error: what travels on the bus and over the socket.
 * Never carries a stack, a path outside the user's own, or a secret.
 */
export interface ErrorShape {
  readonly code: string;
  readonly message: string;
}

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

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }

  toShape(): ErrorShape {
    return { code: this.code, message: this.message };
  }
}

/**
 * Turns anything thrown into an ErrorShape. Errors we did not anticipate keep
 * their message but get the code INTERNAL, so a bug is visible as one.
 */
export function toErrorShape(error: unknown): ErrorShape {
  if (error instanceof SafekeepError) return error.toShape();
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'INTERNAL', message };
}

/** The `code` of a Node.js system error (`ENOENT`, `EACCES`, …), if it has one. */
export function systemErrorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') {
    return error.code;
  }
  return undefined;
}
