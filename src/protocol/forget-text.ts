import type { ForgetReport } from '../backup/forget-report.ts';

/**
 * The text dialect's reply to `forget`: a first line that says how many lines
 * follow (`Removed 2 versions:`), then one per removed version, newest first:
 * its id, its time (UTC, ISO 8601) and why it went (`not-kept`, `damaged`).
 * A dry run says `Would remove` instead; nothing to remove is one line.
 *
 * @example
 * Removed 2 versions:
 * notes.json@3 2026-11-24T09:02:00.000Z damaged
 * notes.json@1 2026-11-24T09:00:00.000Z not-kept
 */
export function forgetReplyLines(report: ForgetReport): string {
  const count = report.removed.length;
  const head = `${report.dryRun ? 'Would remove' : 'Removed'} ${count} version${count === 1 ? '' : 's'}${count === 0 ? '.' : ':'}`;
  return [head, ...report.removed.map((removed) => `${removed.versionId} ${new Date(removed.createdAt).toISOString()} ${removed.reason}`)].join('\n');
}
