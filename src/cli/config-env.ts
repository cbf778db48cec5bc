import { envNameOf, NOT_SETTINGS, type OptionShape, type OptionTable } from './config-keys.ts';
import type { OptionValue } from './config-file.ts';

/** A setting that came from an environment variable, for error messages. */
export interface EnvOrigin {
  readonly kind: 'env';
  readonly variable: string;
}

/** The settings the environment gives: flag name → value, and where each came from. */
export interface EnvSettings {
  readonly values: ReadonlyMap<string, OptionValue>;
  readonly origins: ReadonlyMap<string, EnvOrigin>;
}

/** A variable whose value no flag could have. Exit code 2, like a bad flag. */
export class EnvSettingError extends Error {
  override readonly name = 'EnvSettingError';
}

/** Names the config file as `--config` does (`config` is an action, so it has no SAFEKEEP_<FLAG> of its own; parseArgsLayered reads this). */
export const CONFIG_VARIABLE = 'SAFEKEEP_CONFIG';

const TRUE = /^(1|true|yes|on)$/i;
const FALSE = /^(0|false|no|off)$/i;

/**
 * `SAFEKEEP_<FLAG>` for every single-valued flag of `table` (SAFEKEEP_PORT,
 * SAFEKEEP_DATA_DIR, SAFEKEEP_VERBOSE=1…), as the values the flags would give.
 * An empty variable counts as unset (as compose files and unit files often
 * leave them). Repeatable flags have no variable: a list does not fit in one.
 * Relative paths stay relative: the flags' own parsing resolves them from
 * the working directory, as for flags.
 */
export function readEnvSettings(env: NodeJS.ProcessEnv, table: OptionTable): EnvSettings {
  const values = new Map<string, OptionValue>();
  const origins = new Map<string, EnvOrigin>();
  for (const [flag, shape, variable] of flagsWithVariables(table)) {
    const text = env[variable];
    if (text === undefined || text === '') continue;
    if (shape.type === 'boolean') {
      if (!TRUE.test(text.trim()) && !FALSE.test(text.trim())) {
        throw new EnvSettingError(`${variable} must be true or false (1/0, yes/no, on/off), not '${text.slice(0, 64)}'`);
      }
      values.set(flag, TRUE.test(text.trim()));
    } else {
      values.set(flag, text);
    }
    origins.set(flag, { kind: 'env', variable });
  }
  return { values, origins };
}

/**
 * Every variable safekeep reads for `table`: the SAFEKEEP_<FLAG> of each
 * single-valued setting, and SAFEKEEP_CONFIG. Variables safekeep sets for
 * others (the `--on-failure` command's) must stay out of this list, or a
 * `safekeep status` run by that command would take them for settings.
 *
 * @example
 * variablesRead({ port: { type: 'string' }, source: { type: 'string', multiple: true } }); // ['SAFEKEEP_PORT', 'SAFEKEEP_CONFIG']
 */
export function variablesRead(table: OptionTable): string[] {
  return [...flagsWithVariables(table).map(([, , variable]) => variable), CONFIG_VARIABLE];
}

/** The flags the environment may set, with their shapes and variables. */
function flagsWithVariables(table: OptionTable): [string, OptionShape, string][] {
  return Object.entries(table)
    .filter(([flag, shape]) => !NOT_SETTINGS.has(flag) && !shape.multiple)
    .map(([flag, shape]) => [flag, shape, envNameOf(flag)]);
}
