/** The ways the host tells someone outside about a run (see HostOptions.notify). */
export type NotifyChannel = 'command' | 'webhook' | 'heartbeat';

/**
 * A notification could not be delivered, or some were dropped because the
 * receiver stayed down while more arrived. Published by the notify adapter
 * (an edge, like the reply channel), so the console and the log show it.
 */
export interface NotifyFailed {
  readonly channel: NotifyChannel;
  /**
   * Whom it was for, safe to print: a URL's origin only (scheme, host and
   * port; a path or query may hold a token), or `shell command`.
   */
  readonly target: string;
  /** What went wrong, one sentence (an HTTP status, a timeout, an exit code with the command's last output line). */
  readonly reason: string;
  /** The event that was being notified (`backup.failed`, `backup.version.damaged`, `backup.completed` for a heartbeat), or `notify.dropped` when notices were dropped unsent. */
  readonly event: string;
  /** The job it concerned, when there is one. */
  readonly jobId: string | null;
}
