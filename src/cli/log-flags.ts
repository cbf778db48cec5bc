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
 * Which layer a flag's value came from: 0 the command line, 1 the
 * environment, 2 the config file (see settingLayer). Lower wins.
 */
export type LayerOf = (flag: string) => number;

/**
 * The `--log-*` flags from parseArgs' values, or what is wrong with one.
 * `--verbose` is `--log-level debug`. Flags > env > file holds for the pair
 * too: the one from the nearer layer wins (`--verbose` beats
 * SAFEKEEP_LOG_LEVEL and the file's `logLevel`), and within one layer the
 * explicit level wins. A level is checked even when `--verbose` overrides
 * it, so a mistyped variable is never silently ignored.
 *
 * @example
 * logFlags({ 'log-file': 'logs/s.log', verbose: true }, '/srv'); // { level: 'debug', file: '/srv/logs/s.log' }
 * logFlags({ 'log-level': 'warn', verbose: true }, '/srv', (flag) => (flag === 'verbose' ? 0 : 1)); // { level: 'debug' }
 * logFlags({ 'log-format': 'xml' }, '/srv'); // "--log-format 'xml' is not json or pretty"
 */
export function logFlags(values: Readonly<Record<string, unknown>>, cwd: string, layerOf: LayerOf = () => 0): CliLog | string {
  const text = (name: string): string | undefined => (typeof values[name] === 'string' ? values[name] : undefined);
  const format = text('log-format');
  if (format !== undefined && format !== 'json' && format !== 'pretty') return `--log-format '${format}' is not json or pretty`;
  const explicit = text('log-level');
  if (explicit !== undefined && !(LOG_LEVELS as readonly string[]).includes(explicit)) return `--log-level '${explicit}' is not one of ${LOG_LEVELS.join(', ')}`;
  const verbose = values['verbose'] === true;
  const level = explicit !== undefined && (!verbose || layerOf('log-level') <= layerOf('verbose')) ? explicit : verbose ? 'debug' : 'info';
  const file = text('log-file');
  if (file !== undefined && file.trim() === '') return '--log-file needs a file path';
  return {
    ...(format === undefined ? {} : { format }),
    level: level as LogLevelName,
    ...(file === undefined ? {} : { file: path.resolve(cwd, file) }),
  };
}
