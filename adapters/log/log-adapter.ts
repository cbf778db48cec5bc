import type { Writable } from 'node:stream';
import type { Subscription } from 'rxjs';
import type { BackupProgress } from '../../src/backup/events.ts';
import type { Bus } from '../../src/bus/bus.ts';
import type { BusEventName } from '../../src/bus/events.ts';
import type { Clock } from '../../src/clock/clock.ts';
import type { HostAdapter } from '../../src/ports/host-adapter.ts';
import { logDestination, type LogDestination } from './log-destination.ts';
import { LogDrops } from './log-drops.ts';
import { logRecord, MOST_SEVERE_LEVEL, progressRecord, type LogLevel, type LogRecord } from './log-records.ts';
import { RequestLines } from './request-lines.ts';

/** In a log (not a terminal), a long copy's progress is one record this often per run. */
export const PROGRESS_RECORD_EVERY_MS = 10_000;

/** What the log adapter is told; HostOptions.log, resolved. */
export interface LogAdapterOptions {
  /** `json`: pino's JSON lines; `pretty`: short human lines. */
  readonly format: 'json' | 'pretty';
  /** The least severe level written. */
  readonly level: LogLevel | 'silent';
  /** Append to this file; without it, write to `out`. */
  readonly file?: string;
  /** Where records go without `file`; on a terminal (`isTTY`) a copy's progress is one line rewritten in place. */
  readonly out: Writable & { readonly isTTY?: boolean };
  /** Times of records and request durations. */
  readonly clock: Clock;
}

/**
 * The structured log: one pino record per bus event worth telling, with the
 * ids it concerns (`jobId`, `runId`, `requestId`, `connectionId`,
 * `versionId`, `commandId`) and the event's name in `event`. Fields are
 * picked from payloads by name, never copied whole, so a Secret or a
 * request's body cannot reach it; pino's `redact` is the second fence.
 *
 * With a file, SIGHUP reopens it (for logrotate's `postrotate`).
 *
 * @example
 * const log = new LogAdapter({ format: 'json', level: 'debug', file: '/var/log/safekeep.log', out: process.stderr, clock: systemClock });
 * await log.start(bus);
 */
export class LogAdapter implements HostAdapter {
  readonly name = 'log';
  readonly #options: LogAdapterOptions;
  #destination: LogDestination | null = null;
  #subscription: Subscription | null = null;
  #requests: RequestLines | null = null;
  /** A progress line is on the terminal without its newline: the next line must first wipe it. */
  #progressShown = false;
  /** When each copy (by run id) last had a progress record. */
  readonly #progressLoggedAt = new Map<string, number>();
  readonly #reopen = () => this.#destination?.file?.reopen();
  /** Records that could not be written; said on `out` (stderr), which is not where they go when there is a file. */
  #drops: LogDrops | null = null;

  constructor(options: LogAdapterOptions) {
    this.#options = options;
  }

  async start(bus: Bus): Promise<void> {
    const { out, file } = this.#options;
    const drops = new LogDrops(file === undefined ? 'the log' : `the log file ${file}`, (line) => out.write(line));
    this.#drops = drops;
    const destination = logDestination({ ...this.#options, drops });
    this.#destination = destination;
    const traceOn = destination.logger.isLevelEnabled('trace');
    this.#requests = new RequestLines(this.#options.clock, { track: destination.logger.isLevelEnabled('debug'), trace: traceOn });
    const requests = this.#requests;
    if (destination.file) process.on('SIGHUP', this.#reopen);
    // Every event comes here: one whose records the level drops costs a lookup, never a sentence.
    const told = new Set<BusEventName>();
    for (const [name, level] of Object.entries(MOST_SEVERE_LEVEL) as [BusEventName, LogLevel | null][]) {
      if (level !== null && destination.logger.isLevelEnabled(level)) told.add(name);
    }
    this.#subscription = bus.events$.subscribe((event) => {
      if (event.name === 'backup.progress') return this.#progress(event.payload);
      if (event.name === 'backup.completed' || event.name === 'backup.failed') this.#progressLoggedAt.delete(event.payload.runId);
      for (const record of requests.records(event)) this.#write(record);
      if (!told.has(event.name)) return;
      // The store's results are busy and trace-only when they succeed.
      if (event.name === 'store.result' && event.payload.ok && !traceOn) return;
      const record = logRecord(event, this.#options.clock.now());
      if (record) this.#write(record);
    });
  }

  async stop(): Promise<void> {
    this.#subscription?.unsubscribe();
    this.#subscription = null;
    if (this.#progressShown) this.#options.out.write('\n');
    this.#progressShown = false;
    const file = this.#destination?.file;
    if (file) {
      process.off('SIGHUP', this.#reopen);
      file.flushSync();
      file.end();
    }
    this.#destination = null;
  }

  #write(record: LogRecord): void {
    const logger = this.#destination?.logger;
    if (!logger || !logger.isLevelEnabled(record.level)) return;
    if (this.#progressShown) {
      this.#options.out.write('\r\x1b[K');
      this.#progressShown = false;
    }
    // A destination that throws (a stream written after it failed) costs a record, never the service: a bus subscriber must not throw.
    try {
      logger[record.level](record.fields, record.msg);
    } catch (error) {
      this.#drops?.failed(error);
      return;
    }
    // The file tells its own writes; a stream's are told here.
    if (!this.#destination?.file) this.#drops?.wrote();
  }

  #progress(progress: BackupProgress): void {
    const record = progressRecord(progress);
    const { out, format, file } = this.#options;
    if (!this.#destination?.logger.isLevelEnabled(record.level)) return;
    if (format === 'pretty' && file === undefined && out.isTTY) {
      // \x1b[K clears what a longer earlier line left to the right.
      // Coloured as pino-pretty colours an info line on a terminal.
      out.write(`\r${clockFace(this.#options.clock.now())} \x1b[32mINFO\x1b[39m: \x1b[36m${record.msg}\x1b[39m\x1b[K`);
      this.#progressShown = true;
      return;
    }
    const last = this.#progressLoggedAt.get(progress.runId);
    if (last !== undefined && progress.at - last < PROGRESS_RECORD_EVERY_MS) return;
    this.#progressLoggedAt.set(progress.runId, progress.at);
    this.#write(record);
  }
}

/** HH:MM:ss on this machine's clock face, as pino-pretty writes the other lines. */
function clockFace(at: number): string {
  const date = new Date(at);
  return [date.getHours(), date.getMinutes(), date.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}
