import type { ErrorShape } from '../errors/safekeep-error.ts';
import type { BackupVersion } from './version.ts';

/** What one run of a backup job produced. A run never throws: a failure is an outcome too. */
export type RunOutcome =
  | {
      readonly ok: true;
      /** `copied`: a new version was registered; `unchanged`: the newest version still matches the source. */
      readonly kind: 'copied' | 'unchanged';
      readonly version: BackupVersion;
      readonly durationMs: number;
    }
  | { readonly ok: false; readonly error: ErrorShape; readonly durationMs: number };
