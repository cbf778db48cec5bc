import type { NotifyFailed } from './events.ts';

/**
 * The sentence for a notice that could not be sent, as the console and the
 * log both tell it: the channel, its printable target, what it was about and
 * why it failed.
 *
 * @example
 * notifyFailedSentence({ channel: 'webhook', target: 'https://hooks.example.com', event: 'backup.failed', jobId: 'notes.txt', reason: 'HTTP 500' });
 * // 'notify: webhook to https://hooks.example.com failed for backup.failed of [notes.txt]: HTTP 500'
 */
export function notifyFailedSentence({ channel, target, event, jobId, reason }: NotifyFailed): string {
  const what = event.startsWith('backup.') ? ` for ${event}${jobId === null ? '' : ` of [${jobId}]`}` : '';
  return `notify: ${channel} to ${target} failed${what}: ${reason}`;
}
