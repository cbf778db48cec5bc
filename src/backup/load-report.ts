import type { DamagedRecord } from './catalog.ts';
import type { BackupVersion } from './version.ts';

/** What a start found in the catalog and on disk, and what it set right (`BackupService.load`). */
export interface LoadReport {
  /** Registered versions whose files are gone or changed size; they are not offered for revert. */
  readonly missing: readonly BackupVersion[];
  /** Temp files of copies a crash interrupted, now removed. */
  readonly leftoversRemoved: number;
  /** Catalog records that failed their digest (jobs are not scheduled, versions not offered). */
  readonly damagedJobs: readonly DamagedRecord[];
  readonly damagedVersions: readonly DamagedRecord[];
  /** Uncatalogued copies proved to be an interrupted registration, now registered. */
  readonly orphansAdopted: readonly BackupVersion[];
  /** Uncatalogued version files deleted. */
  readonly orphansRemoved: readonly string[];
  /**
   * Catalog shards that could not be read. While there are any, no file is
   * taken for an orphan: its record may be in one of them.
   */
  readonly catalogUnreadable: readonly string[];
  /** What settling directory restores a crash cut short did, one line each (see `settleInterruptedRestores`). */
  readonly restoresSettled: readonly string[];
}
