/**
 * A notification did not get through; `message` says why in one sentence
 * that is safe to log (no URL past its origin, no secret). It stays inside
 * the notify adapter, which turns it into a `notify.failed` event.
 */
export class DeliveryError extends Error {
  /** Whether another try may go better (a timeout, a 5xx, a refused connection), not a 4xx or a bad command. */
  readonly retryable: boolean;

  constructor(message: string, options: { retryable: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DeliveryError';
    this.retryable = options.retryable;
  }
}
