import { isJsonObject } from '../json/is-json-object.ts';
import { InvalidRetentionPolicyError } from './errors.ts';
import { RETENTION_RULES, isEmptyPolicy, type RetentionPolicy, type RetentionRule } from './retention.ts';

/** The most a rule may keep: a bound, so a typo of many digits is refused rather than taken. */
export const MAX_RETENTION_COUNT = 1_000_000;

/** Each rule's flag, on the command line and after `forget <job>`. */
export const RETENTION_FLAGS: Readonly<Record<RetentionRule, string>> = {
  last: '--keep-last',
  hourly: '--keep-hourly',
  daily: '--keep-daily',
  weekly: '--keep-weekly',
  monthly: '--keep-monthly',
  yearly: '--keep-yearly',
};

/**
 * A policy that came in as data (a JSON field, an in-process request, a
 * catalog record), checked: an object whose keys are rules and whose values
 * are whole numbers from 1 to a million. Zero is refused rather than read as
 * "keep none", which would be one typo from losing every version.
 */
export function checkedRetentionPolicy(value: unknown, field: string): RetentionPolicy {
  if (!isJsonObject(value)) throw new InvalidRetentionPolicyError(`'${field}' must be an object such as {"last": 3, "daily": 7}`);
  const policy: Partial<Record<RetentionRule, number>> = {};
  for (const [key, count] of Object.entries(value)) {
    if (!(RETENTION_RULES as readonly string[]).includes(key)) {
      throw new InvalidRetentionPolicyError(`'${field}' has no rule '${key.slice(0, 64)}' (rules: ${RETENTION_RULES.join(', ')})`);
    }
    if (!isRetentionCount(count)) throw new InvalidRetentionPolicyError(`'${field}.${key}' must be a whole number from 1 to ${MAX_RETENTION_COUNT}`);
    policy[key as RetentionRule] = count;
  }
  return policy;
}

export function isRetentionCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_RETENTION_COUNT;
}

/** The policy the older `keep: N` meant (the newest N); `null` kept everything. */
export function policyOfKeep(keep: number | null | undefined): RetentionPolicy {
  return keep === null || keep === undefined ? {} : { last: keep };
}

/**
 * `--keep-last N`-style words read into a policy, the rest returned: the
 * command line's flags and the text dialect's `forget <job> --keep-daily 7`
 * read the same way. `--keep N` is `--keep-last N`, as it always was.
 */
export function retentionFromFlags(words: readonly string[]): { readonly policy: RetentionPolicy; readonly rest: readonly string[] } {
  const policy: Partial<Record<RetentionRule, number>> = {};
  const rest: string[] = [];
  for (let index = 0; index < words.length; index++) {
    const word = words[index] as string;
    const [flag = '', inline] = word.split(/=(.*)/s, 2);
    const rule = ruleOfFlag(flag.toLowerCase());
    if (rule === undefined) {
      rest.push(word);
      continue;
    }
    const text = inline ?? words[++index];
    if (text === undefined) throw new InvalidRetentionPolicyError(`${flag} needs a whole number from 1 to ${MAX_RETENTION_COUNT}`);
    const count = /^\d{1,7}$/.test(text) ? Number(text) : NaN;
    if (!isRetentionCount(count)) throw new InvalidRetentionPolicyError(`${flag} '${text.slice(0, 64)}' is not a whole number from 1 to ${MAX_RETENTION_COUNT}`);
    if (policy[rule] !== undefined) throw new InvalidRetentionPolicyError(`${flag} is given twice`);
    policy[rule] = count;
  }
  return { policy, rest };
}

function ruleOfFlag(flag: string): RetentionRule | undefined {
  if (flag === '--keep') return 'last';
  return RETENTION_RULES.find((rule) => RETENTION_FLAGS[rule] === flag);
}

/**
 * A policy in words, for the start-up line and replies.
 *
 * @example describeRetention({ last: 3, daily: 7 }) // 'keeping last 3, daily 7'
 */
export function describeRetention(policy: RetentionPolicy): string {
  if (isEmptyPolicy(policy)) return 'keeping all versions';
  return `keeping ${RETENTION_RULES.filter((rule) => policy[rule] !== undefined)
    .map((rule) => `${rule} ${policy[rule]}`)
    .join(', ')}`;
}
