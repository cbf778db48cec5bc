import type { StoreChanged } from '../store/messages.ts';
import { CATALOG_COLLECTIONS, readJobRecord, readVersionRecord } from './catalog.ts';
import type { BackupJob } from './job.ts';
import type { BackupVersion } from './version.ts';
import type { VersionLedger } from './version-ledger.ts';

/** What of the backup service another node's catalog write changes. */
export interface CatalogView {
  readonly jobs: Map<string, BackupJob>;
  readonly ledger: VersionLedger;
  readonly damagedJobIds: Set<string>;
  /** What this node holds of a version that left the catalog (its own file, or its cached copy) is deleted. */
  dropVersionData(version: BackupVersion): Promise<void>;
  /** What this node holds of a job that left the catalog (its cache folder). */
  dropJobData(jobId: string): Promise<void>;
}

/**
 * Applies another node's write to `backup.jobs` or `backup.versions` to this
 * node's jobs and ledger, in memory first (so `status`, `versions` and
 * `revert` see it at once) and then on disk (files of versions that left the
 * catalog). A record that fails its digest is handled as `load` handles one:
 * never trusted, its id never reused. Versions are offered on the catalog's
 * word: the node that made a version verified it; this node's disk does not
 * hold it and is not asked. Other collections are not the catalog's.
 */
export async function applyCatalogChange(change: StoreChanged, view: CatalogView): Promise<void> {
  if (change.collection === CATALOG_COLLECTIONS.jobs) await applyJobChange(change, view);
  else if (change.collection === CATALOG_COLLECTIONS.versions) await applyVersionChange(change, view);
}

async function applyJobChange(change: StoreChanged, view: CatalogView): Promise<void> {
  const { key } = change;
  if (change.deleted || change.value === undefined) {
    view.damagedJobIds.delete(key);
    if (!view.jobs.delete(key)) return;
    view.ledger.dropJob(key);
    await view.dropJobData(key);
    return;
  }
  const read = readJobRecord(change.value);
  if (read.kind === 'foreign') return;
  if (read.kind === 'damaged') {
    // As at load: a job whose record cannot be trusted is not one, and its id is never given to another.
    view.damagedJobIds.add(key);
    view.jobs.delete(key);
    return;
  }
  view.damagedJobIds.delete(key);
  const known = view.ledger.hasJob(key);
  view.jobs.set(key, read.record);
  view.ledger.addJob(key);
  // Versions that arrived before their job (writes seen out of order) are offered once it is known.
  if (!known) for (const version of view.ledger.recordsOf(key)) if (!version.damaged) view.ledger.offer(version);
}

async function applyVersionChange(change: StoreChanged, view: CatalogView): Promise<void> {
  const { key } = change;
  const { ledger } = view;
  if (change.deleted || change.value === undefined) {
    ledger.dropDamaged(key);
    const record = ledger.record(key);
    if (!record) return;
    ledger.forget(record);
    await view.dropVersionData(record);
    return;
  }
  const read = readVersionRecord(change.value);
  if (read.kind === 'foreign') return;
  if (read.kind === 'damaged') {
    ledger.addDamaged({ key, stored: change.value });
    return;
  }
  ledger.dropDamaged(key);
  const version = read.record;
  const existing = ledger.record(version.id);
  if (version.damaged) {
    // Quarantined by the node that holds it: withdrawn here too, its record kept for `versions` and retention.
    ledger.withdraw(version);
    ledger.update(version);
    ledger.keep(version);
  } else if (!existing || existing.damaged) {
    // New (or cleared by verification on its node): offered. `offer` only keeps it when its job is not known yet.
    ledger.offer(version);
  } else {
    // Changed (a newer source fingerprint, say): offered or not as it was here.
    ledger.update(version);
  }
}
