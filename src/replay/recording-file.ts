import { createWriteStream } from 'node:fs';
import { SafekeepError } from '../errors/safekeep-error.ts';
import { localTimeZoneName } from '../backup/retention-calendar.ts';
import type { ResolvedHostOptions } from '../host/host-options.ts';
import { RECORDING_FORMAT, stepLine, type RecordingEnd, type RecordingHeader } from './recording.ts';
import type { StepSink } from './recorder.ts';

/** The header that lets a replay rebuild this host: its paths and settings, never its random source. */
export function recordingHeader(options: ResolvedHostOptions): RecordingHeader {
  return {
    format: RECORDING_FORMAT,
    startedAt: options.clock.now(),
    host: {
      dataDir: options.dataDir,
      backupDir: options.backupDir,
      jobs: options.jobs ?? null,
      allowedPaths: options.allowedPaths,
      retry: options.retry,
      requestTimeouts: options.requestTimeouts,
      shutdownGraceMs: options.shutdownGraceMs,
      book: options.book,
      verifyIntervalMs: options.verifyIntervalMs,
      ...(options.verifyCopies ? { verifyCopies: true } : {}),
      // By name, never `local`: a replay elsewhere must read times on the recorded host's clock face.
      retentionTimeZone: options.retentionTimeZone === 'local' ? localTimeZoneName() : options.retentionTimeZone,
      ...(options.cluster ? { cluster: { node: options.cluster.nodeName, leaseTtlMs: options.cluster.leaseTtlMs, versionStore: options.cluster.versionStore } } : {}),
    },
  };
}

/** A recording being written to a file (readable by its owner only): the header first, then one line per step. */
export interface RecordingFile {
  readonly sink: StepSink;
  readonly header: RecordingHeader;
  /** Writes what is buffered and closes the file. */
  close(): Promise<void>;
}

/** The recording file could not be created (no such folder, not permitted). */
export class RecordingUnwritableError extends SafekeepError {
  readonly code = 'RECORDING_UNWRITABLE';
}

export async function openRecordingFile(filePath: string, header: RecordingHeader): Promise<RecordingFile> {
  const stream = createWriteStream(filePath, { mode: 0o600 });
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (error) => reject(new RecordingUnwritableError(`Cannot write the recording ${filePath}: ${error.message}`, { cause: error })));
  });
  stream.write(`${JSON.stringify(header)}\n`);
  let steps = 0;
  // Lines wait here for a few milliseconds (or until there are 64 KiB of them) and then go to the stream in one
  // write: a busy host records several steps per request, and a write per step cost more than making the line.
  // What waits is lost if the process dies, as what the stream had not written yet always was.
  let pending = '';
  let flushing: NodeJS.Timeout | null = null;
  let closed = false;
  const flush = (): void => {
    flushing = null;
    if (pending === '') return;
    stream.write(pending);
    pending = '';
  };
  return {
    header,
    sink: {
      write: (step) => {
        // A step after the close (a timer the stopping host left set) is not part of this recording.
        if (closed) return;
        steps++;
        pending += `${stepLine(step)}\n`;
        if (pending.length >= FLUSH_AT_LENGTH) flush();
        else flushing ??= setTimeout(flush, FLUSH_AFTER_MS).unref();
      },
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        closed = true;
        if (flushing) clearTimeout(flushing);
        flush();
        stream.once('error', reject);
        stream.end(`${JSON.stringify({ end: RECORDING_FORMAT, steps } satisfies RecordingEnd)}\n`, () => resolve());
      }),
  };
}

/** Pending text past this length is written at once, so a busy moment does not hold megabytes. */
const FLUSH_AT_LENGTH = 64 * 1024;
/** How long a line may wait to be written with the lines after it: more lines per write, and a file that lags the host by no more. */
const FLUSH_AFTER_MS = 10;
