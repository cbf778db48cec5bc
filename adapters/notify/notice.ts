import type { BackupFailed, BackupVersionDamaged } from '../../src/backup/events.ts';

/** What one failure notification says, whichever channel carries it. */
export interface Notice {
  /** The bus event it reports: `backup.failed` or `backup.version.damaged`. */
  readonly event: 'backup.failed' | 'backup.version.damaged';
  readonly jobId: string | null;
  /** The failed run (failures only). */
  readonly runId: string | null;
  /** The damaged version (damage only). */
  readonly versionId: string | null;
  /** A failure's error code, or the damage's reason (`content-mismatch`, `missing`…). */
  readonly code: string;
  /** One sentence, fit for any reader (the error's client-safe message). */
  readonly message: string;
  /** For the operator's own command only: what the message leaves out (a server path). Never sent over a network. */
  readonly detail: string | null;
  /** Failures in a row, counting this one (failures only). */
  readonly attempt: number | null;
  /** On the host's clock. */
  readonly at: number;
}

export function noticeOfFailure(failed: BackupFailed): Notice {
  return {
    event: 'backup.failed',
    jobId: failed.jobId,
    runId: failed.runId,
    versionId: null,
    code: failed.error.code,
    message: failed.error.message,
    detail: failed.error.detail ?? null,
    attempt: failed.attempt,
    at: failed.at,
  };
}

export function noticeOfDamage(damaged: BackupVersionDamaged): Notice {
  return {
    event: 'backup.version.damaged',
    jobId: damaged.jobId,
    runId: null,
    versionId: damaged.versionId,
    code: damaged.reason,
    message: `version ${damaged.versionId} is damaged (${damaged.reason}) and quarantined: it is never offered for restore`,
    detail: damaged.path,
    attempt: null,
    at: damaged.at,
  };
}

/**
 * The webhook's JSON body. Stable field names (a receiver's template reads
 * them); absent facts are null, never missing. `detail` stays home.
 *
 * @example
 * // {"event":"backup.failed","job":"notes.json","run":"r1","version":null,
 * //  "error":{"code":"SOURCE_MISSING","message":"…"},"attempt":1,
 * //  "at":"2026-11-24T09:00:00.000Z","host":"backup-box","service":"safekeep"}
 */
export function webhookBody(notice: Notice, hostName: string): Record<string, unknown> {
  return {
    event: notice.event,
    job: notice.jobId,
    run: notice.runId,
    version: notice.versionId,
    error: { code: notice.code, message: notice.message },
    attempt: notice.attempt,
    at: new Date(notice.at).toISOString(),
    host: hostName,
    service: 'safekeep',
  };
}

/**
 * The variables the `--on-failure` command gets. The details travel here and
 * never on its command line, so a job name or message holding `$(…)` or `;`
 * is data to the shell, not code. Unset facts are empty strings.
 *
 * No name here may be a variable safekeep itself reads (SAFEKEEP_<FLAG>): a
 * hook that runs `safekeep status` would take it for a setting. The host name
 * is SAFEKEEP_HOSTNAME for that reason (SAFEKEEP_HOST is `--host`).
 */
export function commandVariables(notice: Notice, hostName: string): Record<string, string> {
  return {
    SAFEKEEP_EVENT: notice.event,
    SAFEKEEP_JOB: notice.jobId ?? '',
    SAFEKEEP_RUN: notice.runId ?? '',
    SAFEKEEP_VERSION: notice.versionId ?? '',
    SAFEKEEP_ERROR_CODE: notice.code,
    SAFEKEEP_MESSAGE: notice.message,
    SAFEKEEP_DETAIL: notice.detail ?? '',
    SAFEKEEP_ATTEMPT: notice.attempt === null ? '' : String(notice.attempt),
    SAFEKEEP_AT: new Date(notice.at).toISOString(),
    SAFEKEEP_HOSTNAME: hostName,
  };
}
