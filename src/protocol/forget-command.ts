import { checkedRetentionPolicy } from '../backup/retention-policy.ts';
import { InvalidFieldError } from '../book/errors.ts';
import type { Command } from './commands.ts';

/**
 * The `backup.forget` command from fields that came in as data (a JSON
 * message, an in-process request): `job` is required, since forgetting is
 * the one request that deletes versions, so it never falls to a default job.
 */
export function forgetCommandOf(fields: Readonly<Record<string, unknown>>): Extract<Command, { kind: 'backup.forget' }> {
  const { job, policy, dryRun } = fields;
  if (typeof job !== 'string' || job.length === 0) throw new InvalidFieldError("'job' must be a job id or a source path");
  if (dryRun !== undefined && typeof dryRun !== 'boolean') throw new InvalidFieldError("'dryRun' must be true or false");
  return {
    kind: 'backup.forget',
    job,
    policy: policy === undefined || policy === null ? null : checkedRetentionPolicy(policy, 'policy'),
    dryRun: dryRun ?? false,
  };
}
