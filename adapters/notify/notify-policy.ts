import type { BackupCompleted, BackupFailed, BackupVersionDamaged } from '../../src/backup/events.ts';

export interface NotifyPolicyOptions {
  /** While a job keeps failing, a reminder this long after the last notice for it. Default 1 h. */
  readonly reminderMs: number;
  /** At most one heartbeat this often, however fast good runs come. Default 1 min. */
  readonly heartbeatEveryMs: number;
}

export const DEFAULT_REMINDER_MS = 60 * 60_000;
export const DEFAULT_HEARTBEAT_EVERY_MS = 60_000;

/**
 * When to tell. A failing job retries with backoff (seconds apart at first),
 * so a notice per failed attempt would be a flood from one broken disk. Like
 * Kopia, one notice when a job starts failing (its first failure since it last
 * succeeded, or since the service started), then a reminder at most once an
 * hour while it keeps failing; a good run ends the streak. A damaged version
 * is told once: it is quarantined and stays so. Heartbeats are at most one a
 * minute, so a job every few seconds does not hammer the monitor, which only
 * needs to hear that good runs still happen.
 *
 * Times are the events' own (the host's clock), so tests on a virtual clock
 * and replays decide the same way.
 *
 * @example
 * const policy = new NotifyPolicy({ reminderMs: 3_600_000, heartbeatEveryMs: 60_000 });
 * if (policy.shouldNotifyFailure(failed)) send(failed);
 */
export class NotifyPolicy {
  readonly #options: NotifyPolicyOptions;
  /** Per failing job, when it was last notified. */
  readonly #failingSince = new Map<string, number>();
  readonly #damagedTold = new Set<string>();
  #lastHeartbeatAt: number | null = null;

  constructor(options: Partial<NotifyPolicyOptions> = {}) {
    this.#options = { reminderMs: options.reminderMs ?? DEFAULT_REMINDER_MS, heartbeatEveryMs: options.heartbeatEveryMs ?? DEFAULT_HEARTBEAT_EVERY_MS };
  }

  shouldNotifyFailure(failed: BackupFailed): boolean {
    const last = this.#failingSince.get(failed.jobId);
    if (last !== undefined && failed.at - last < this.#options.reminderMs) return false;
    this.#failingSince.set(failed.jobId, failed.at);
    return true;
  }

  shouldNotifyDamage(damaged: BackupVersionDamaged): boolean {
    if (this.#damagedTold.has(damaged.versionId)) return false;
    this.#damagedTold.add(damaged.versionId);
    return true;
  }

  /** A good run ends its job's failure streak; says whether a heartbeat is due. */
  shouldPingHeartbeat(completed: BackupCompleted): boolean {
    this.#failingSince.delete(completed.jobId);
    if (this.#lastHeartbeatAt !== null && completed.at - this.#lastHeartbeatAt < this.#options.heartbeatEveryMs) return false;
    this.#lastHeartbeatAt = completed.at;
    return true;
  }
}
