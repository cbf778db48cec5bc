import { isoWeekOf, type Calendar } from './retention-calendar.ts';

/** The rules of a retention policy, in restic's and Kopia's words. */
export const RETENTION_RULES = ['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const;

export type RetentionRule = (typeof RETENTION_RULES)[number];

/**
 * Which versions of a job to keep, as restic's `forget --keep-*` says it:
 * `last: 3` keeps the 3 newest; `daily: 7` keeps the newest version of each
 * of the 7 newest days that have versions (days without any do not count),
 * and so on per hour, ISO week, month and year. A version kept by several
 * rules is kept once. An empty policy keeps everything.
 *
 * @example const policy: RetentionPolicy = { last: 3, daily: 7, weekly: 4 };
 */
export type RetentionPolicy = { readonly [R in RetentionRule]?: number };

/** Why a version is kept: the rule, and the period it is the newest good version of (`last`: its rank, 1 for the newest); `in-use`: a restore is copying it. */
export type KeepReason = { readonly rule: RetentionRule; readonly period: string } | { readonly rule: 'no-policy' } | { readonly rule: 'in-use' };

/** Why a version goes: no rule keeps it, or it is damaged (quarantined) and so not a backup at all. */
export type RemoveReason = 'not-kept' | 'damaged';

/** What retention needs to know of a version. */
export interface RetainedVersion {
  readonly id: string;
  /** Registration order: the highest is the newest, whatever the clock said. */
  readonly seq: number;
  readonly createdAt: number;
  /** Set when verification quarantined it. */
  readonly damaged?: unknown;
}

export interface RetentionDecision<V extends RetainedVersion> {
  /** Newest first, each with every rule that keeps it. */
  readonly keep: readonly { readonly version: V; readonly reasons: readonly KeepReason[] }[];
  /** Newest first. */
  readonly remove: readonly { readonly version: V; readonly reason: RemoveReason }[];
}

/** Whether two policies say the same, whatever order their rules were written in. */
export function samePolicy(a: RetentionPolicy, b: RetentionPolicy): boolean {
  return RETENTION_RULES.every((rule) => a[rule] === b[rule]);
}

export function isEmptyPolicy(policy: RetentionPolicy): boolean {
  return RETENTION_RULES.every((rule) => policy[rule] === undefined);
}

/**
 * Says which of a job's versions a policy keeps (and why) and which it
 * removes. Pure: the caller removes them. As restic does, it walks the
 * versions newest first and, per rule, keeps a version when it opens a period
 * the rule has not seen yet, until the rule's count is spent. Unlike restic,
 * "newest" is registration order (a clock set back cannot make the version
 * `revert` serves look old), and damaged versions are skipped by every rule:
 * a period whose newest version is damaged keeps its newest good one, and a
 * damaged version is never kept under a non-empty policy (it is no backup).
 *
 * @example decideRetention(versions, { last: 2, daily: 7 }, utcCalendar).remove.map(({ version }) => version.id)
 */
export function decideRetention<V extends RetainedVersion>(versions: readonly V[], policy: RetentionPolicy, calendar: Calendar): RetentionDecision<V> {
  const newestFirst = [...versions].sort((a, b) => b.seq - a.seq);
  if (isEmptyPolicy(policy)) return { keep: newestFirst.map((version) => ({ version, reasons: [{ rule: 'no-policy' }] })), remove: [] };

  const left = new Map(RETENTION_RULES.map((rule) => [rule, policy[rule] ?? 0]));
  const lastPeriod = new Map<RetentionRule, string>();
  const keep: { version: V; reasons: KeepReason[] }[] = [];
  const remove: { version: V; reason: RemoveReason }[] = [];
  for (const version of newestFirst) {
    if (version.damaged) {
      remove.push({ version, reason: 'damaged' });
      continue;
    }
    const reasons: KeepReason[] = [];
    for (const rule of RETENTION_RULES) {
      const count = left.get(rule) ?? 0;
      if (count <= 0) continue;
      const period = rule === 'last' ? String((policy.last ?? 0) - count + 1) : periodOf(rule, version.createdAt, calendar);
      if (rule !== 'last' && period === lastPeriod.get(rule)) continue;
      lastPeriod.set(rule, period);
      left.set(rule, count - 1);
      reasons.push({ rule, period });
    }
    if (reasons.length > 0) keep.push({ version, reasons });
    else remove.push({ version, reason: 'not-kept' });
  }
  return { keep, remove };
}

/** The calendar period a time falls in for a rule, as a readable key: `2026-11-24T09`, `2026-11-24`, `2026-W48`, `2026-11`, `2026`. */
export function periodOf(rule: Exclude<RetentionRule, 'last'>, at: number, calendar: Calendar): string {
  const { year, month, day, hour } = calendar(at);
  const two = (n: number) => String(n).padStart(2, '0');
  switch (rule) {
    case 'hourly':
      return `${year}-${two(month)}-${two(day)}T${two(hour)}`;
    case 'daily':
      return `${year}-${two(month)}-${two(day)}`;
    case 'weekly': {
      const week = isoWeekOf({ year, month, day });
      return `${week.year}-W${two(week.week)}`;
    }
    case 'monthly':
      return `${year}-${two(month)}`;
    case 'yearly':
      return String(year);
  }
}
