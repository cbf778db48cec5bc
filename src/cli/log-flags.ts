import path from 'node:path';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

/** The log flags, checked; an absent format is the host's default (pretty on stderr, JSON in a file). */
export interface CliLog {
  readonly format?: 'json' | 'pretty';
  readonly level: LogLevelName;
  readonly file?: string;
}

/**
 * The `--log-*` flags from parseArgs' values, or what is wrong with one.
 * `--verbose` is `--log-level debug`; an explicit `--log-level` wins.
 *
 * @example
 * logFlags({ 'log-file': 'logs/s.log', verbose: true }, '/srv'); // { level: 'debug', file: '/srv/logs/s.log' }
 * logFlags({ 'log-format': 'xml' }, '/srv'); // "--log-format 'xml' is not json or pretty"
 */
export function logFlags(values: Readonly<Record<string, unknown>>, cwd: string): CliLog | string {
  const text = (name: string): string | undefined => (typeof values[name] === 'string' ? values[name] : undefined);
  const format = text('log-format');
  if (format !== undefined && format !== 'json' && format !== 'pretty') return `--log-format '${format}' is not json or pretty`;
  const level = text('log-level') ?? (values['verbose'] === true ? 'debug' : 'info');
  if (!(LOG_LEVELS as readonly string[]).includes(level)) return `--log-level '${level}' is not one of ${LOG_LEVELS.join(', ')}`;
  const file = text('log-file');
  if (file !== undefined && file.trim() === '') return '--log-file needs a file path';
  return {
    ...(format === undefined ? {} : { format }),
    level: level as LogLevelName,
    ...(file === undefined ? {} : { file: path.resolve(cwd, file) }),
  };
}
