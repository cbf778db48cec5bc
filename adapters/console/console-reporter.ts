import type { Writable } from 'node:stream';
import type { Subscription } from 'rxjs';
import type { BackupProgress } from '../../src/backup/events.ts';
import { formatInterval } from '../../src/backup/interval.ts';
import { jobsLoadedNotes } from '../../src/backup/jobs-loaded-notes.ts';
import type { Bus } from '../../src/bus/bus.ts';
import type { BusEvent } from '../../src/bus/events.ts';
import type { Clock } from '../../src/clock/clock.ts';
import type { ErrorShape } from '../../src/errors/safekeep-error.ts';
import { notifyFailedSentence } from '../../src/notify/notify-failed-sentence.ts';
import type { HostAdapter } from '../../src/ports/host-adapter.ts';

/** In a log (not a terminal), a long copy's progress is one line this often. */
export const PROGRESS_LOG_EVERY_MS = 10_000;

export interface ConsoleReporterOptions {
  /** Where lines go; when it is a terminal (`isTTY`), a copy's progress is one line rewritten in place. */
  readonly out: Writable & { readonly isTTY?: boolean };
  readonly clock: Clock;
  /** Also report schedules, connections and requests. */
  readonly verbose: boolean;
}

/**
 * Prints what happens on the bus as one human-readable line per event: every
 * backup outcome, and with `verbose` the schedule and connections too. It
 * prints event fields it knows, never whole payloads, so nothing it does not
 * understand (a secret, a request body) can reach the console.
 *
 * A long copy's `backup.progress` is, on a terminal, a line rewritten in place
 * (`\r`) until the next line replaces it; in a log, a line every 10 s.
 */
export class ConsoleReporter implements HostAdapter {
  readonly name = 'console';
  readonly #options: ConsoleReporterOptions;
  #subscription: Subscription | null = null;
  /** A progress line is on the terminal without its newline: the next line must first wipe it. */
  #progressShown = false;
  /** When each copy (by run id) last had a progress line in the log. */
  readonly #progressLoggedAt = new Map<string, number>();

  constructor(options: ConsoleReporterOptions) {
    this.#options = options;
  }

  async start(bus: Bus): Promise<void> {
    this.#subscription = bus.events$.subscribe((event) => {
      if (event.name === 'backup.progress') return this.#progress(event.payload);
      if (event.name === 'backup.completed' || event.name === 'backup.failed') this.#progressLoggedAt.delete(event.payload.runId);
      const line = this.#describe(event);
      if (line === null) return;
      this.#options.out.write(`${this.#progressShown ? '\r\x1b[K' : ''}${this.#stamp()} ${line}\n`);
      this.#progressShown = false;
    });
  }

  async stop(): Promise<void> {
    this.#subscription?.unsubscribe();
    if (this.#progressShown) this.#options.out.write('\n');
  }

  #progress(progress: BackupProgress): void {
    const { out } = this.#options;
    const line = `${this.#stamp()} ${describeProgress(progress)}`;
    if (out.isTTY) {
      // \x1b[K clears what a longer earlier line left to the right.
      out.write(`\r${line}\x1b[K`);
      this.#progressShown = true;
      return;
    }
    const last = this.#progressLoggedAt.get(progress.runId);
    if (last !== undefined && progress.at - last < PROGRESS_LOG_EVERY_MS) return;
    this.#progressLoggedAt.set(progress.runId, progress.at);
    out.write(`${line}\n`);
  }

  #stamp(): string {
    return new Date(this.#options.clock.now()).toISOString();
  }

  #describe(event: BusEvent): string | null {
    const { verbose, clock } = this.#options;
    switch (event.name) {
      case 'backup.completed': {
        const { jobId, kind, version } = event.payload;
        return kind === 'unchanged'
          ? `[${jobId}] done (unchanged): newest version is ${version.path}`
          : version.kind === 'directory'
            ? `[${jobId}] done: ${version.path} (snapshot of ${version.fileCount ?? 0} files, ${version.size} bytes, manifest sha256 ${version.sha256.slice(0, 12)}…)${
                version.skippedCount ? `; skipped ${version.skippedCount} sockets, fifos or devices (listed in its manifest)` : ''
              }`
            : `[${jobId}] done: ${version.path} (${version.size} bytes, sha256 ${version.sha256.slice(0, 12)}…)`;
      }
      case 'backup.failed': {
        const { jobId, error, attempt } = event.payload;
        return `[${jobId}] failed (${error.code}): ${error.message}${logDetail(error)} [failure ${attempt} in a row]`;
      }
      // Clients are told only an error's message; the log is where its detail (a path, an unexpected error's words) goes.
      case 'store.result':
        return event.payload.ok ? null : `store: failed (${event.payload.error.code}): ${event.payload.error.message}${logDetail(event.payload.error)}`;
      case 'store.checkpoint.failed':
        return `store: CHECKPOINT FAILED, the log keeps every write and grows until one succeeds: ${event.payload.message}${event.payload.detail ? ` [${event.payload.detail}]` : ''}`;
      case 'store.damaged':
        return `store: DAMAGED ${event.payload.collection} shard ${event.payload.shard}, left untouched; its documents are out of reach until it is restored (safekeep check lists every damage): ${event.payload.message}${event.payload.detail ? ` [${event.payload.detail}]` : ''}`;
      case 'request.failed':
        return `request ${event.payload.requestId} on ${event.payload.connectionId} failed (${event.payload.error.code}): ${event.payload.error.message}${logDetail(event.payload.error)}`;
      case 'request.settled':
        return event.payload.ok || event.payload.error.detail === undefined
          ? null
          : `request ${event.payload.requestId} failed (${event.payload.error.code}): ${event.payload.error.message}${logDetail(event.payload.error)}`;
      case 'backup.pruned': {
        const { jobId, versionIds, error } = event.payload;
        const removed = `removed ${versionIds.length} old version${versionIds.length === 1 ? '' : 's'}`;
        return error ? `[${jobId}] ${removed}, then pruning stopped (${error.code}): ${error.message}` : `[${jobId}] ${removed}`;
      }
      case 'backup.jobs.loaded': {
        const notes = jobsLoadedNotes(event.payload);
        return notes.length > 0 ? `catalog: ${notes.join('; ')}` : null;
      }
      case 'host.repaired':
        return `repaired: ${event.payload.note}`;
      case 'backup.version.mismatch': {
        const { jobId, versionId } = event.payload;
        return `[${jobId}] ${versionId} no longer matches its recorded size, mtime and inode: not offered until verified`;
      }
      case 'backup.version.damaged': {
        const { jobId, versionId, path, reason, expectedSha256, actualSha256, error } = event.payload;
        const found =
          reason === 'content-mismatch' && actualSha256 && expectedSha256
            ? `${path} hashes to ${actualSha256.slice(0, 12)}…, not ${expectedSha256.slice(0, 12)}…`
            : (path ?? 'its record');
        const kept = error ? `quarantined for this run (the mark could not be saved: ${error.code})` : 'quarantined, never offered for revert';
        return `[${jobId ?? '?'}] ${versionId} is damaged (${reason}): ${found}; ${kept}`;
      }
      case 'backup.verified': {
        const { trigger, checked, damaged, damagedVersionIds } = event.payload;
        // One version a mismatch sent to verification is already told by its own lines.
        if (trigger === 'mismatch') return null;
        const list = damaged > 0 ? `: ${damagedVersionIds.join(', ')}` : '';
        return `verify (${trigger === 'schedule' ? 'scheduled' : 'requested'}): ${checked} version${checked === 1 ? '' : 's'} checked, ${damaged} damaged${list}`;
      }
      case 'backup.restored': {
        const { jobId, version, target, previous } = event.payload;
        return `[${jobId}] restored ${version.id} to ${target}${previous ? `; what was there is kept as ${previous.id}` : ''}`;
      }
      case 'backup.job.removed': {
        const { jobId, forgotten, kept } = event.payload;
        return `[${jobId}] removed; ${forgotten.length > 0 ? `forgot ${forgotten.length} version${forgotten.length === 1 ? '' : 's'}` : `${kept} version${kept === 1 ? '' : 's'} kept`}`;
      }
      case 'backup.paused':
        return `[${event.payload.jobId}] paused`;
      case 'backup.resumed':
        return `[${event.payload.jobId}] resumed`;
      case 'backup.scheduled':
        return verbose ? `[${event.payload.jobId}] next run in ${formatInterval(Math.max(0, event.payload.dueAt - clock.now()))}` : null;
      case 'backup.copy.started':
        return verbose ? `[${event.payload.jobId}] copying (${event.payload.runId})` : null;
      case 'reply.forward.failed':
        return `reply channel: could not deliver ${event.payload.requestId} to ${event.payload.target}: ${event.payload.reason}`;
      case 'notify.failed':
        return notifyFailedSentence(event.payload);
      case 'connection.opened':
        return verbose ? `connection ${event.payload.connectionId} from ${event.payload.remoteAddress}:${event.payload.remotePort}` : null;
      case 'connection.closed':
        return verbose ? `connection ${event.payload.connectionId} closed (${event.payload.reason})` : null;
      default:
        return null;
    }
  }
}

function describeProgress({ jobId, bytesDone, totalBytes, bytesPerSecond }: BackupProgress): string {
  const percent = totalBytes > 0 ? Math.min(100, Math.floor((bytesDone * 100) / totalBytes)) : 100;
  return `[${jobId}] copying: ${percent}% (${mebibytes(bytesDone)} of ${mebibytes(totalBytes)} MiB, ${mebibytes(bytesPerSecond)} MiB/s)`;
}

function mebibytes(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(1);
}

function logDetail(error: ErrorShape): string {
  return error.detail === undefined ? '' : ` [${error.detail}]`;
}
