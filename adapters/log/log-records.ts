import type { BackupJobsLoaded, BackupProgress } from '../../src/backup/events.ts';
import { jobsLoadedFoundDamage, jobsLoadedNotes } from '../../src/backup/jobs-loaded-notes.ts';
import { formatInterval } from '../../src/backup/interval.ts';
import type { BusEvent, BusEventName } from '../../src/bus/events.ts';
import type { ErrorShape } from '../../src/errors/safekeep-error.ts';
import { notifyFailedSentence } from '../../src/notify/notify-failed-sentence.ts';

/** The pino levels a record can have (`silent` is a threshold, never a record's level). */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/**
 * A record's fields besides its message. The ids name what the record is
 * about, so a log can be searched by job, run, request, connection, version
 * or store command; every other field is a plain number or short string
 * picked from the payload by name, never a payload copied whole.
 */
export interface LogFields {
  /** The bus event the record reports. */
  readonly event: BusEventName;
  readonly jobId?: string;
  readonly runId?: string;
  readonly requestId?: string;
  readonly connectionId?: string;
  readonly versionId?: string;
  readonly commandId?: string;
  readonly [field: string]: string | number | boolean | readonly string[] | undefined;
}

/** One log record: its level, the human sentence, and the fields. */
export interface LogRecord {
  readonly level: LogLevel;
  readonly msg: string;
  readonly fields: LogFields;
}

/**
 * The most severe level a record of each event can have, or null for an
 * event `logRecord` does not report: the adapter builds no sentence for an
 * event whose records the log's level would drop (at `info`, a connection's
 * or a schedule's). A Record, so a new event is a compile error until listed.
 */
export const MOST_SEVERE_LEVEL: Readonly<Record<BusEventName, LogLevel | null>> = {
  'host.started': 'info',
  'host.stopping': 'info',
  'host.repaired': 'warn',
  'connection.opened': 'debug',
  'connection.closed': 'debug',
  'requests.received': null,
  'request.submitted': null,
  'request.settled': null,
  'request.failed': 'error',
  'reply.ready': null,
  'reply.sent': null,
  'reply.forwarded': 'debug',
  'reply.forward.failed': 'warn',
  'backup.jobs.loaded': 'warn',
  'backup.scheduled': 'debug',
  'backup.copy.started': 'debug',
  'backup.progress': 'info',
  'backup.completed': 'info',
  'backup.failed': 'error',
  'backup.pruned': 'warn',
  'backup.paused': 'info',
  'backup.resumed': 'info',
  'backup.version.damaged': 'error',
  'backup.version.mismatch': 'warn',
  'backup.verified': 'warn',
  'backup.restored': 'info',
  'backup.job.removed': 'info',
  'store.command': 'trace',
  // A failure is an error; a success (most results) is trace, which the adapter checks on its own.
  'store.result': 'error',
  'store.damaged': 'error',
  'store.checkpoint.failed': 'error',
  'notify.failed': 'warn',
  // Another node's write: trace, as this node's own store commands are.
  'store.changed': 'trace',
  'cluster.link': 'warn',
  // Another node's events are that node's to log.
  'cluster.remote': null,
  'cluster.lease': 'info',
};

/**
 * The log record for one bus event, or null for an event the log does not
 * report (requests and replies are `RequestLines`'; a store result that
 * succeeded is not news). `now` is the log's clock, for "next run in …".
 *
 * The sentences are the console's (adapters/console), so a log reads the same.
 *
 * @example
 * const record = logRecord({ name: 'backup.paused', payload: { jobId: 'notes.txt' } }, Date.now());
 * // { level: 'info', msg: '[notes.txt] paused', fields: { event: 'backup.paused', jobId: 'notes.txt' } }
 */
export function logRecord(event: BusEvent, now: number): LogRecord | null {
  const record = (level: LogLevel, msg: string, fields: Omit<LogFields, 'event'> = {}): LogRecord => ({ level, msg, fields: { event: event.name, ...fields } });
  switch (event.name) {
    case 'host.started': {
      const { listening } = event.payload;
      // Not "listening on": that is the start line's (stdout), which scripts and tests wait for.
      return record('info', listening ? `started; socket at ${listening.host}:${listening.port}` : 'started (no socket)', listening ? { host: listening.host, port: listening.port } : {});
    }
    case 'host.stopping':
      return record('info', `stopping (${event.payload.reason})`, { reason: event.payload.reason });
    case 'host.repaired':
      return record('warn', `repaired: ${event.payload.note}`, { subject: event.payload.subject });
    case 'backup.completed': {
      const { jobId, runId, kind, version } = event.payload;
      const fields = { jobId, runId, versionId: version.id, kind, path: version.path, size: version.size, sha256: version.sha256 };
      const msg =
        kind === 'unchanged'
          ? `[${jobId}] done (unchanged): newest version is ${version.path}`
          : version.kind === 'directory'
            ? `[${jobId}] done: ${version.path} (snapshot of ${version.fileCount ?? 0} files, ${version.size} bytes, manifest sha256 ${version.sha256.slice(0, 12)}…)${
                version.skippedCount ? `; skipped ${version.skippedCount} sockets, fifos or devices (listed in its manifest)` : ''
              }`
            : `[${jobId}] done: ${version.path} (${version.size} bytes, sha256 ${version.sha256.slice(0, 12)}…)`;
      return record('info', msg, fields);
    }
    case 'backup.failed': {
      const { jobId, runId, error, attempt } = event.payload;
      return record('error', `[${jobId}] failed (${error.code}): ${error.message}${logDetail(error)} [failure ${attempt} in a row]`, { jobId, runId, code: error.code, attempt });
    }
    case 'backup.scheduled': {
      const { jobId, dueAt, attempt } = event.payload;
      return record('debug', `[${jobId}] next run in ${formatInterval(Math.max(0, dueAt - now))}`, { jobId, dueAt, attempt });
    }
    case 'backup.copy.started':
      return record('debug', `[${event.payload.jobId}] copying (${event.payload.runId})`, { jobId: event.payload.jobId, runId: event.payload.runId });
    case 'backup.progress':
      return progressRecord(event.payload);
    case 'backup.pruned': {
      const { jobId, versionIds, error } = event.payload;
      const removed = `removed ${versionIds.length} old version${versionIds.length === 1 ? '' : 's'}`;
      return error
        ? record('warn', `[${jobId}] ${removed}, then pruning stopped (${error.code}): ${error.message}`, { jobId, versionIds, code: error.code })
        : record('info', `[${jobId}] ${removed}`, { jobId, versionIds });
    }
    case 'backup.jobs.loaded':
      return jobsLoadedRecord(event.payload, record);
    case 'backup.version.mismatch': {
      const { jobId, versionId, path } = event.payload;
      return record('warn', `[${jobId}] ${versionId} no longer matches its recorded size, mtime and inode: not offered until verified`, { jobId, versionId, path });
    }
    case 'backup.version.damaged': {
      const { jobId, versionId, path, reason, expectedSha256, actualSha256, error } = event.payload;
      const found =
        reason === 'content-mismatch' && actualSha256 && expectedSha256 ? `${path} hashes to ${actualSha256.slice(0, 12)}…, not ${expectedSha256.slice(0, 12)}…` : (path ?? 'its record');
      const kept = error ? `quarantined for this run (the mark could not be saved: ${error.code})` : 'quarantined, never offered for revert';
      return record('error', `[${jobId ?? '?'}] ${versionId} is damaged (${reason}): ${found}; ${kept}`, {
        ...(jobId === null ? {} : { jobId }),
        versionId,
        reason,
        ...(path === null ? {} : { path }),
        ...(error ? { code: error.code } : {}),
      });
    }
    case 'backup.verified': {
      const { trigger, checked, damaged, damagedVersionIds } = event.payload;
      // One version a mismatch sent to verification is already told by its own lines.
      const level = trigger === 'mismatch' ? 'debug' : damaged > 0 ? 'warn' : 'info';
      const list = damaged > 0 ? `: ${damagedVersionIds.join(', ')}` : '';
      const what = trigger === 'schedule' ? 'scheduled' : trigger === 'request' ? 'requested' : 'after a mismatch';
      return record(level, `verify (${what}): ${checked} version${checked === 1 ? '' : 's'} checked, ${damaged} damaged${list}`, { trigger, checked, damaged, damagedVersionIds });
    }
    case 'backup.restored': {
      const { jobId, version, target, previous } = event.payload;
      return record('info', `[${jobId}] restored ${version.id} to ${target}${previous ? `; what was there is kept as ${previous.id}` : ''}`, {
        jobId,
        versionId: version.id,
        target,
        ...(previous ? { previousVersionId: previous.id } : {}),
      });
    }
    case 'backup.job.removed': {
      const { jobId, forgotten, kept } = event.payload;
      const what = forgotten.length > 0 ? `forgot ${forgotten.length} version${forgotten.length === 1 ? '' : 's'}` : `${kept} version${kept === 1 ? '' : 's'} kept`;
      return record('info', `[${jobId}] removed; ${what}`, { jobId, forgotten: forgotten.length, kept });
    }
    case 'backup.paused':
      return record('info', `[${event.payload.jobId}] paused`, { jobId: event.payload.jobId });
    case 'backup.resumed':
      return record('info', `[${event.payload.jobId}] resumed`, { jobId: event.payload.jobId });
    case 'connection.opened': {
      const { connectionId, remoteAddress, remotePort } = event.payload;
      return record('debug', `connection ${connectionId} from ${remoteAddress}:${remotePort}`, { connectionId, remoteAddress, remotePort });
    }
    case 'connection.closed': {
      const { connectionId, reason } = event.payload;
      return record('debug', `connection ${connectionId} closed (${reason})`, { connectionId, reason });
    }
    case 'reply.forwarded': {
      const { requestId, target, attempts } = event.payload;
      return record('debug', `reply channel: delivered ${requestId} to ${target}`, { requestId, target, attempts });
    }
    case 'reply.forward.failed': {
      const { requestId, target, attempts, reason } = event.payload;
      return record('warn', `reply channel: could not deliver ${requestId} to ${target}: ${reason}`, { requestId, target, attempts });
    }
    case 'cluster.link': {
      const { state, server } = event.payload;
      if (state === 'disconnected') return record('warn', 'lost the connection to the cluster; writes are refused until it returns', { state });
      if (state === 'closed') return record('info', 'left the cluster', { state });
      return record('info', `${state} to the cluster at ${server ?? '?'}`, { state, ...(server ? { server } : {}) });
    }
    case 'cluster.lease': {
      const { jobId, state, node } = event.payload;
      const what = state === 'taken' ? `took the lease of shared job ${jobId}: this node (${node}) runs it now` : state === 'lost' ? `lost the lease of shared job ${jobId}; another node will run it` : `gave up the lease of shared job ${jobId}`;
      return record(state === 'lost' ? 'warn' : 'info', what, { jobId, state, node });
    }
    case 'store.changed': {
      const { collection, key, deleted } = event.payload;
      return record('trace', `store: another node ${deleted ? 'deleted' : 'wrote'} a document of ${collection}`, { collection, ...(collection.startsWith('backup.') ? { key } : {}) });
    }
    case 'notify.failed': {
      const { channel, target, event: about, jobId } = event.payload;
      return record('warn', notifyFailedSentence(event.payload), { channel, target, about, ...(jobId === null ? {} : { jobId }) });
    }
    // Clients are told only an error's message; the log is where its detail (a path, an unexpected error's words) goes.
    case 'request.failed': {
      const { requestId, connectionId, error } = event.payload;
      return record('error', `request ${requestId} on ${connectionId} failed (${error.code}): ${error.message}${logDetail(error)}`, { requestId, connectionId, code: error.code });
    }
    case 'store.command': {
      // Never the value: a put may carry a password book's sealed record.
      const command = event.payload;
      const collection = 'collection' in command ? command.collection : command.writes.map((write) => write.collection).join(',');
      return record('trace', `store: ${command.op} ${collection} (${command.commandId})`, { commandId: command.commandId, op: command.op, collection });
    }
    case 'store.result': {
      const result = event.payload;
      if (result.ok) return record('trace', `store: ${result.commandId} done`, { commandId: result.commandId });
      const { error } = result;
      return record('error', `store: failed (${error.code}): ${error.message}${logDetail(error)}`, { commandId: result.commandId, code: error.code });
    }
    case 'store.checkpoint.failed':
      return record('error', `store: CHECKPOINT FAILED, the log keeps every write and grows until one succeeds: ${event.payload.message}${bracketed(event.payload.detail)}`);
    case 'store.damaged': {
      const { collection, shard, message, detail } = event.payload;
      return record(
        'error',
        `store: DAMAGED ${collection} shard ${shard}, left untouched; its documents are out of reach until it is restored (safekeep check lists every damage): ${message}${bracketed(detail)}`,
        { collection, shard },
      );
    }
    // The request events are RequestLines' (they need what arrived earlier); reply.ready holds the reply itself.
    case 'requests.received':
    case 'request.submitted':
    case 'request.settled':
    case 'reply.ready':
    case 'reply.sent':
    case 'cluster.remote':
      return null;
  }
}

/** A copy's progress, as a record (the adapter decides how often one is written, or rewrites it in place). */
export function progressRecord({ jobId, runId, bytesDone, totalBytes, bytesPerSecond }: BackupProgress): LogRecord {
  const percent = totalBytes > 0 ? Math.min(100, Math.floor((bytesDone * 100) / totalBytes)) : 100;
  return {
    level: 'info',
    msg: `[${jobId}] copying: ${percent}% (${mebibytes(bytesDone)} of ${mebibytes(totalBytes)} MiB, ${mebibytes(bytesPerSecond)} MiB/s)`,
    fields: { event: 'backup.progress', jobId, runId, bytesDone, totalBytes, bytesPerSecond: Math.round(bytesPerSecond) },
  };
}

type Maker = (level: LogLevel, msg: string, fields?: Omit<LogFields, 'event'>) => LogRecord;

function jobsLoadedRecord(loaded: BackupJobsLoaded, record: Maker): LogRecord {
  const notes = jobsLoadedNotes(loaded);
  const fields = { jobs: loaded.activeJobIds.length, activeJobIds: loaded.activeJobIds };
  if (notes.length === 0) return record('debug', `catalog: ${loaded.activeJobIds.length} job${loaded.activeJobIds.length === 1 ? '' : 's'} active`, fields);
  return record(jobsLoadedFoundDamage(loaded) ? 'warn' : 'info', `catalog: ${notes.join('; ')}`, fields);
}

function mebibytes(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(1);
}

function logDetail(error: ErrorShape): string {
  return bracketed(error.detail);
}

function bracketed(detail: string | undefined): string {
  return detail ? ` [${detail}]` : '';
}
