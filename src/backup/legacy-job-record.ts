import type { BackupJob } from './job.ts';
import { checkedRetentionPolicy, policyOfKeep } from './retention-policy.ts';

/**
 * A job record as it is used now, from one as stored. Records written before
 * retention policies hold `keep: N` (or `null`), which meant the newest N:
 * that is `{ last: N }`. A policy a hand edit broke keeps everything, since
 * removing versions on a guess is the one mistake that cannot be undone.
 */
export function jobWithRetention(stored: BackupJob & { readonly keep?: unknown }): BackupJob {
  const { keep, retention, ...rest } = stored as BackupJob & { keep?: unknown; retention?: unknown };
  if (retention !== undefined) {
    try {
      return { ...rest, retention: checkedRetentionPolicy(retention, 'retention') };
    } catch {
      return { ...rest, retention: {} };
    }
  }
  return { ...rest, retention: typeof keep === 'number' && Number.isInteger(keep) && keep >= 1 ? policyOfKeep(keep) : {} };
}
