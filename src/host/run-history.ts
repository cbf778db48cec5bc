import type { BackupVersion } from '../backup/version.ts';
import type { JobState, LastRun } from '../backup/job-report.ts';
import type { ErrorShape } from '../errors/safekeep-error.ts';

interface JobRuns {
  lastRun: LastRun | null;
  nextRunAt: number | null;
  copyStartedAt: number | null;
}

/**
 * Each job's last run and next due time, from what its machine emits (with
 * times from the host's clock): what `status` reports. No IO.
 */
export class RunHistory {
  readonly #jobs = new Map<string, JobRuns>();

  scheduled(jobId: string, dueAt: number): void {
    this.#of(jobId).nextRunAt = dueAt;
  }

  copyStarted(jobId: string, at: number): void {
    const runs = this.#of(jobId);
    runs.nextRunAt = null;
    runs.copyStartedAt = at;
  }

  completed(jobId: string, at: number, kind: 'copied' | 'unchanged', version: BackupVersion): void {
    this.#ended(jobId, at, { outcome: kind, versionId: version.id, error: null });
  }

  failed(jobId: string, at: number, error: ErrorShape): void {
    // The log-only detail stays out: status goes to clients.
    this.#ended(jobId, at, { outcome: 'failed', versionId: null, error: { code: error.code, message: error.message } });
  }

  /** Paused or stopped: nothing is due. */
  unscheduled(jobId: string): void {
    this.#of(jobId).nextRunAt = null;
  }

  lastRun(jobId: string): LastRun | null {
    return this.#jobs.get(jobId)?.lastRun ?? null;
  }

  nextRunAt(jobId: string): number | null {
    return this.#jobs.get(jobId)?.nextRunAt ?? null;
  }

  /** A job's state for reports, from its machine's state: a job waiting to retry a failed run is `failed`. */
  stateOf(jobId: string, machineState: string | undefined, removed: boolean): JobState {
    if (machineState === undefined) return removed ? 'removed' : 'inactive';
    if (machineState === 'scheduled' && this.lastRun(jobId)?.outcome === 'failed') return 'failed';
    return machineState === 'idle' || machineState === 'copying' || machineState === 'paused' ? machineState : 'scheduled';
  }

  #ended(jobId: string, at: number, result: Pick<LastRun, 'outcome' | 'versionId' | 'error'>): void {
    const runs = this.#of(jobId);
    const startedAt = runs.copyStartedAt ?? at;
    runs.lastRun = { startedAt, endedAt: at, durationMs: at - startedAt, ...result };
    runs.copyStartedAt = null;
  }

  #of(jobId: string): JobRuns {
    let runs = this.#jobs.get(jobId);
    if (!runs) {
      runs = { lastRun: null, nextRunAt: null, copyStartedAt: null };
      this.#jobs.set(jobId, runs);
    }
    return runs;
  }
}
