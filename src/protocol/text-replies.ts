import { formatInterval } from '../backup/interval.ts';
import type { JobReport, LastRun, VersionListing } from '../backup/job-report.ts';
import type { CommandResult } from './commands.ts';
import { forgetReplyLines } from './forget-text.ts';

/**
 * The text dialect's replies, as lines (the dialect frames them). A reply
 * that may have more than one line starts with a line ending in `:` when
 * lines follow, and the first number standing alone in that line says how
 * many (`2 jobs; safekeep …, up 5s:`, `3 versions of notes.json, newest
 * first:`, `forget`'s `Removed 2 versions:`), so a client reading line by
 * line knows where the reply ends. Times are UTC, ISO 8601.
 */
export function textReplyLines(result: CommandResult): string[] {
  switch (result.kind) {
    case 'backup.run':
      return ['Backup completed'];
    case 'backup.revert':
      return [result.version ? result.version.path : 'No backup found.'];
    case 'backup.verify': {
      const { checked, damaged } = result.report;
      return [`Verified ${checked} version${checked === 1 ? '' : 's'}: ${damaged} damaged.`];
    }
    case 'backup.status': {
      const { version, startedAt, uptimeMs, jobs } = result.status;
      const head = `${plural(jobs.length, 'job')}; safekeep ${version}, started ${iso(startedAt)}, up ${uptimeMs > 0 ? formatInterval(uptimeMs) : '0s'}`;
      return [`${head}${jobs.length > 0 ? ':' : '.'}`, ...jobs.map(jobLine)];
    }
    case 'backup.versions':
      return [`${plural(result.versions.length, 'version')} of ${result.jobId}${result.versions.length > 0 ? ', newest first:' : '.'}`, ...result.versions.map(versionLine)];
    case 'backup.restore': {
      const { version, target, previous } = result.restore;
      return [`Restored ${version.id} to ${target}; ${previous ? `what was there is kept as ${previous.id}.` : 'nothing there needed keeping.'}`];
    }
    case 'job.add':
      return [`Added ${result.job.id}: ${result.job.sourcePath} every ${formatInterval(result.job.intervalMs)}.`];
    case 'job.pause':
      return [`Paused ${result.jobId}.`];
    case 'job.resume':
      return [`Resumed ${result.jobId}.`];
    case 'job.remove': {
      const { jobId, forgotten, kept } = result.removal;
      return [kept > 0 || forgotten.length === 0 ? `Removed ${jobId}; its ${plural(kept, 'version')} kept.` : `Removed ${jobId} and forgot its ${plural(forgotten.length, 'version')}.`];
    }
    case 'backup.forget':
      return forgetReplyLines(result.report).split('\n');
    case 'connection.exit':
      return [];
    case 'book':
      // The text dialect never parses book commands, so it never has such a result to show.
      return [`Error (INTERNAL): no text reply for a ${result.kind} result`];
  }
}

/** `notes.json: file /home/ann/notes.json every 1h; scheduled; last run … copied notes.json@3 in 12ms; next run …; 3 versions, 1204 bytes` */
function jobLine(job: JobReport): string {
  const damaged = job.damagedVersions > 0 ? ` (${job.damagedVersions} damaged)` : '';
  return [
    `${job.id}: ${job.kind} ${job.source} every ${formatInterval(job.intervalMs)}`,
    job.state,
    `last run ${job.lastRun ? lastRunText(job.lastRun) : 'none'}`,
    `next run ${job.nextRunAt === null ? 'none' : iso(job.nextRunAt)}`,
    `${plural(job.versions, 'version')}${damaged}, ${job.totalBytes} bytes`,
  ].join('; ');
}

function lastRunText(run: LastRun): string {
  const what = run.outcome === 'failed' ? `failed ${run.error?.code ?? ''} (${run.error?.message ?? ''})` : `${run.outcome} ${run.versionId ?? ''}`;
  return `${iso(run.startedAt)} ${what} in ${run.durationMs}ms`;
}

/** `notes.json@3 2026-11-24T09:00:00.000Z 1204 bytes sha256 9f86…08 file`, and ` DAMAGED content-mismatch` when quarantined. */
function versionLine(version: VersionListing): string {
  const damaged = version.damaged ? ` DAMAGED ${version.damaged.reason}` : '';
  return `${version.id} ${iso(version.createdAt)} ${version.size} bytes sha256 ${version.sha256} ${version.kind}${damaged}`;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
