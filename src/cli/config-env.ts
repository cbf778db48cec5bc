import { envNameOf, NOT_SETTINGS, type OptionTable } from './config-keys.ts';
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
  for (const [flag, shape] of Object.entries(table)) {
    if (NOT_SETTINGS.has(flag) || shape.multiple) continue;
    const variable = envNameOf(flag);
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
