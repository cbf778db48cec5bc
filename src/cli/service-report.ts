import type { JobReport, ServiceStatus, VersionListing } from '../backup/job-report.ts';
import { renderCluster } from './cluster-report.ts';
import { formatAbsolute, formatBytes, formatDuration, formatWhen } from './human-format.ts';
import { renderTable } from './text-table.ts';

/** What the text rendering needs besides the reply: the moment to be relative to, and the zone to show times in. */
export interface ReportClock {
  readonly now: number;
  /** An IANA zone; undefined: this machine's. */
  readonly timeZone?: string | undefined;
}

/** The `backup.versions` result. */
export interface VersionsResult {
  readonly jobId: string;
  readonly versions: readonly VersionListing[];
}

/** A job a monitor should hear about: its last run failed, or it has damaged versions. */
export function jobNeedsAttention(job: JobReport): boolean {
  return job.state === 'failed' || job.lastRun?.outcome === 'failed' || job.damagedVersions > 0;
}

/**
 * `safekeep status` as text: the service, a table of jobs, then a line for
 * each thing that needs attention (a failed run's error, damaged versions).
 *
 * @example
 * process.stdout.write(renderStatus(status, '127.0.0.1:12345', { now: Date.now() }));
 */
export function renderStatus(status: ServiceStatus, address: string, clock: ReportClock): string {
  const { now, timeZone } = clock;
  const head = `safekeep ${status.version} on ${address}, up ${formatDuration(status.uptimeMs)} (since ${formatAbsolute(status.startedAt, timeZone)})\n`;
  const cluster = status.cluster ? `\n${renderCluster(status.cluster, now)}` : '';
  if (status.jobs.length === 0) return `${head}\nNo jobs.\n${cluster}`;
  const table = renderTable(
    [
      { heading: 'JOB' },
      { heading: 'STATE' },
      { heading: 'LAST RUN' },
      { heading: 'NEXT RUN' },
      { heading: 'VERSIONS', right: true },
      { heading: 'SIZE', right: true },
      { heading: 'DAMAGED', right: true },
    ],
    status.jobs.map((job) => [
      job.id,
      job.state,
      job.lastRun ? `${job.lastRun.outcome}, ${formatWhen(job.lastRun.endedAt, now, timeZone)}` : 'none yet',
      job.nextRunAt === null ? '-' : formatWhen(job.nextRunAt, now, timeZone),
      String(job.versions),
      formatBytes(job.totalBytes),
      job.damagedVersions > 0 ? `${job.damagedVersions} !` : '0',
    ]),
  );
  const notes = status.jobs.flatMap((job) => attentionNotes(job, now));
  return `${head}\n${table}${notes.length > 0 ? `\n${notes.map((note) => `! ${note}\n`).join('')}` : ''}${cluster}`;
}

function attentionNotes(job: JobReport, now: number): string[] {
  const notes: string[] = [];
  const run = job.lastRun;
  if (run?.outcome === 'failed') {
    const why = run.error ? `${run.error.message} (code ${run.error.code})` : 'no reason given';
    notes.push(`${job.id}: the last run failed ${formatDuration(now - run.endedAt)} ago: ${why}`);
  }
  if (job.damagedVersions > 0) {
    const count = job.damagedVersions === 1 ? '1 damaged version' : `${job.damagedVersions} damaged versions`;
    notes.push(`${job.id}: ${count}, quarantined (see: safekeep versions ${job.id})`);
  }
  return notes;
}

/**
 * `safekeep versions JOB` as text: newest first, damaged ones flagged with why and when.
 *
 * @example
 * process.stdout.write(renderVersions(result, { now: Date.now() }));
 */
export function renderVersions(result: VersionsResult, clock: ReportClock): string {
  const { now, timeZone } = clock;
  if (result.versions.length === 0) return `${result.jobId}: no versions yet.\n`;
  const total = result.versions.reduce((sum, version) => sum + version.size, 0);
  const head = `${result.jobId}: ${result.versions.length} version${result.versions.length === 1 ? '' : 's'}, ${formatBytes(total)}, newest first\n`;
  const table = renderTable(
    [{ heading: 'SEQ', right: true }, { heading: 'CREATED' }, { heading: 'SIZE', right: true }, { heading: 'KIND' }, { heading: 'SHA-256' }, { heading: 'DAMAGED' }],
    result.versions.map((version) => [
      String(version.seq),
      formatWhen(version.createdAt, now, timeZone),
      formatBytes(version.size),
      version.kind,
      version.sha256.slice(0, 12),
      version.damaged ? `DAMAGED: ${version.damaged.reason}, found ${formatAbsolute(version.damaged.at, timeZone)}` : '-',
    ]),
  );
  return `${head}\n${table}`;
}
