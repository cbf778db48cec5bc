import type { Writable } from 'node:stream';
import { pino, type DestinationStream, type Logger } from 'pino';
import { PinoPretty } from 'pino-pretty';
import type { Clock } from '../../src/clock/clock.ts';
import type { LogDrops } from './log-drops.ts';
import { LogFile } from './log-file.ts';
import type { LogLevel } from './log-records.ts';

/** How the log is written: the adapter's options, resolved. */
export interface LogDestinationOptions {
  readonly format: 'json' | 'pretty';
  readonly level: LogLevel | 'silent';
  /** Append here (created 0640); otherwise write to `out`. */
  readonly file?: string;
  readonly out: Writable & { readonly isTTY?: boolean };
  readonly clock: Clock;
  /** Told of each record the file could not take (a full disk): the log drops it and goes on. */
  readonly drops: LogDrops;
}

/** A logger and what it writes to, so the adapter can reopen and close the file. */
export interface LogDestination {
  readonly logger: Logger;
  /** The log file, or null when writing to `out`. */
  readonly file: LogFile | null;
}

/**
 * Field names a secret or a client's text would sit under: pino censors them
 * wherever they appear, a second fence behind the records' picking of fields
 * by name (a field by one of these names is a mistake that the log survives).
 */
export const REDACTED_PATHS = [
  'password',
  'token',
  'secret',
  'body',
  'text',
  'value',
  'name',
  'newPassword',
  '*.password',
  '*.token',
  '*.secret',
  '*.body',
  '*.text',
  '*.value',
  '*.name',
  '*.newPassword',
];

/** The pretty form's time: the terminal's own clock face, to the second. */
export const PRETTY_TIME_FORMAT = 'SYS:HH:MM:ss';

/**
 * Makes the pino logger: JSON lines (pino's own format, levels as labels,
 * ISO times from the host's clock) or pino-pretty's short single lines,
 * written synchronously so nothing is lost when the process stops and a line
 * is on disk before the next event happens.
 *
 * @example
 * const { logger } = logDestination({ format: 'json', level: 'info', out: process.stderr, clock: systemClock, drops });
 * logger.info({ event: 'host.started' }, 'started');
 */
export function logDestination(options: LogDestinationOptions): LogDestination {
  // The file is opened synchronously, so a path that cannot be written fails the start with the OS's reason.
  const file = options.file === undefined ? null : new LogFile(options.file, options.drops);
  const target: DestinationStream = file ?? (options.out as unknown as DestinationStream);
  const stream =
    options.format === 'json'
      ? target
      : PinoPretty({
          sync: true,
          destination: target,
          colorize: file === null && options.out.isTTY === true,
          translateTime: PRETTY_TIME_FORMAT,
          // The message carries what matters ([job], request and connection ids), so a line fits a terminal.
          ignore: 'pid,hostname',
          // hideObject leaves the fields out (the JSON form has them); singleLine would then also drop the line end.
          hideObject: true,
          // Without the brackets pino-pretty puts around a time.
          customPrettifiers: { time: (time) => String(time) },
        });
  const logger = pino(
    {
      level: options.level,
      timestamp: () => `,"time":"${new Date(options.clock.now()).toISOString()}"`,
      // Labels read better in a file than pino's numbers, and pino-pretty reads either.
      ...(options.format === 'json' ? { formatters: { level: (label: string) => ({ level: label }) } } : {}),
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    stream,
  );
  return { logger, file };
}
