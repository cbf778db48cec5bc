import { fromPromise } from 'xstate';
import type { CopyInput, RunOutcome } from '../../machines/backup-job.machine.ts';
import type { BackupVersion } from '../../src/backup/version.ts';

export interface CopyCall {
  readonly input: CopyInput;
  readonly signal: AbortSignal;
  succeed(kind?: 'copied' | 'unchanged', durationMs?: number): void;
  fail(code: string, durationMs?: number): void;
  crash(message: string): void;
}

/**
 * A copy actor whose every call waits until the test settles it, so a test
 * decides exactly when each copy ends.
 */
export function controlledCopy() {
  const calls: CopyCall[] = [];
  const logic = fromPromise<RunOutcome, CopyInput>(
    ({ input, signal }) =>
      new Promise<RunOutcome>((resolve, reject) => {
        calls.push({
          input,
          signal,
          succeed: (kind = 'copied', durationMs = 0) =>
            resolve({ ok: true, kind, durationMs, version: fakeVersion(input.jobId, calls.length) }),
          fail: (code, durationMs = 0) => resolve({ ok: false, durationMs, error: { code, message: `${code} happened` } }),
          crash: (message) => reject(new Error(message)),
        });
      }),
  );
  return { logic, calls };
}

function fakeVersion(jobId: string, seq: number): BackupVersion {
  return {
    id: `${jobId}@${seq}`,
    jobId,
    seq,
    path: `/backups/${jobId}/${seq}`,
    size: 1,
    sha256: '00',
    createdAt: 0,
    source: { size: 1, mtimeNs: '0', ctimeNs: '0', ino: '1', dev: '1' },
  };
}

/** Lets pending promise callbacks (a settled copy, XState's reaction to it) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
