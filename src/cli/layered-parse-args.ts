import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { readConfigFile, type ConfigFile, type FileOrigin, type OptionValue } from './config-file.ts';
import { CONFIG_VARIABLE, readEnvSettings, type EnvOrigin } from './config-env.ts';
import type { OptionTable } from './config-keys.ts';

/** The name of the config file looked for in the data directory when no `--config` is given. */
export const DATA_DIR_CONFIG = 'safekeep.json';

/**
 * The settings below the command line: the environment and a config file.
 * parseArgsLayered fills `found` with what it used, so a value the flags'
 * checks reject can be traced to the variable or the file line it came from.
 */
export interface OptionLayers {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  found?: {
    /** Flags given on the command line itself. */
    readonly commandLine: ReadonlySet<string>;
    /** Flag → the variable or file line its value came from, for values not from the command line. */
    readonly origins: ReadonlyMap<string, FileOrigin | EnvOrigin>;
    readonly file: ConfigFile | null;
  };
}

/**
 * parseArgs, then every option the command line left out taken from the
 * environment (`SAFEKEEP_<FLAG>`), else from the config file (`--config FILE`,
 * `SAFEKEEP_CONFIG`, or `<data dir>/safekeep.json` when it exists): flags win
 * over env win over file. The option table itself says what exists, so a new
 * flag is a config key and a variable with no change here. The values come
 * out as parseArgs would have produced them, so the flags' own checks judge
 * them. A repeatable flag on the command line replaces the file's list.
 * Throws (as parseArgs does) when a variable or the file cannot be used.
 * Without `layers`, exactly parseArgs.
 */
export function parseArgsLayered<T extends ParseArgsConfig>(layers: OptionLayers | undefined, config: T): ReturnType<typeof parseArgs<T>> {
  const parsed = parseArgs(config);
  if (layers === undefined) return parsed;
  const values = parsed.values as Record<string, unknown>;
  const commandLine = new Set(Object.keys(values).filter((flag) => values[flag] !== undefined));
  // Help and version answer even when the file is broken.
  if (values['help'] === true || values['version'] === true) return parsed;
  const table = (config.options ?? {}) as OptionTable;
  const env = readEnvSettings(layers.env, table);
  const file = configFileFor(values, env.values, layers, table);
  const origins = new Map<string, FileOrigin | EnvOrigin>();
  for (const flag of Object.keys(table)) {
    if (commandLine.has(flag)) continue;
    const [value, origin] = env.values.has(flag)
      ? [env.values.get(flag), env.origins.get(flag)]
      : [file?.values.get(flag), file?.origins.get(flag)];
    if (value === undefined || origin === undefined) continue;
    values[flag] = value;
    origins.set(flag, origin);
  }
  layers.found = { commandLine, origins, file };
  return parsed;
}

/**
 * Which layer gave `flag` its value, for settings that override one another
 * (`--verbose` and `--log-level`): 0 the command line, 1 the environment,
 * 2 the config file. Without layers (or before parsing) everything is the
 * command line.
 *
 * @example
 * const layers: OptionLayers = { cwd, env: { SAFEKEEP_LOG_LEVEL: 'warn' } };
 * parseArgsLayered(layers, config);
 * settingLayer(layers, 'log-level'); // 1
 */
export function settingLayer(layers: OptionLayers | undefined, flag: string): number {
  const found = layers?.found;
  if (found === undefined || found.commandLine.has(flag)) return 0;
  return found.origins.get(flag)?.kind === 'env' ? 1 : 2;
}

/** The config file that applies, read and checked, or null when there is none. */
function configFileFor(values: Record<string, unknown>, envValues: ReadonlyMap<string, OptionValue>, layers: OptionLayers, table: OptionTable): ConfigFile | null {
  const named = typeof values['config'] === 'string' ? values['config'] : layers.env[CONFIG_VARIABLE] || undefined;
  if (named !== undefined) return readConfigFile(path.resolve(layers.cwd, named), table);
  const dataDir = typeof values['data-dir'] === 'string' ? values['data-dir'] : envValues.get('data-dir');
  const candidate = path.resolve(layers.cwd, typeof dataDir === 'string' ? dataDir : 'safekeep-data', DATA_DIR_CONFIG);
  return existsSync(candidate) ? readConfigFile(candidate, table) : null;
}
