import type { Writable } from 'node:stream';
import type { LogOptions } from './host-options.ts';

/** HostOptions.log with its defaults filled in: what the log adapter is given. */
export interface LogSettings {
  readonly format: 'json' | 'pretty';
  readonly level: NonNullable<LogOptions['level']>;
  readonly file?: string;
  readonly out: Writable & { readonly isTTY?: boolean };
}

/**
 * The log's defaults: `info`; pretty lines on a stream (a person reads
 * stderr), JSON lines in a file (a program reads a file); stderr when no
 * file is named. An explicit `format` wins.
 *
 * @example
 * logSettings({ file: '/var/log/safekeep.log' }); // { format: 'json', level: 'info', file: '/var/log/safekeep.log', out: process.stderr }
 */
export function logSettings(log: LogOptions): LogSettings {
  return {
    format: log.format ?? (log.file === undefined ? 'pretty' : 'json'),
    level: log.level ?? 'info',
    ...(log.file === undefined ? {} : { file: log.file }),
    out: log.out ?? process.stderr,
  };
}
