import { retentionFromFlags } from '../backup/retention-policy.ts';
import { isEmptyPolicy } from '../backup/retention.ts';
import type { Command } from './commands.ts';

/**
 * The text dialect's `forget JOB [--keep-last N] [--keep-daily N] … [--dry-run]`
 * (the words after `forget`), or null when they are not that: no job, a
 * second job, a flag nobody knows. A known flag with a bad number throws
 * `InvalidRetentionPolicyError`, so the reply can say which flag.
 */
export function forgetFromWords(args: readonly string[]): Extract<Command, { kind: 'backup.forget' }> | null {
  const [job, ...flags] = args;
  if (job === undefined || job.startsWith('-')) return null;
  const { policy, rest } = retentionFromFlags(flags);
  const dryRuns = rest.filter((word) => word.toLowerCase() === '--dry-run').length;
  if (dryRuns > 1 || rest.length !== dryRuns) return null;
  return { kind: 'backup.forget', job, policy: isEmptyPolicy(policy) ? null : policy, dryRun: dryRuns === 1 };
}
