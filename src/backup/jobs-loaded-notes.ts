import type { BackupJobsLoaded } from './events.ts';

/**
 * What start-up found and did to the catalog, as short notes (empty when it
 * was clean): the console and the log tell the same words, so they are made
 * once, here.
 *
 * @example
 * jobsLoadedNotes({ ...loaded, leftoversRemoved: 2 }); // ['removed 2 partial copies left by an interrupted run']
 */
export function jobsLoadedNotes(loaded: BackupJobsLoaded): string[] {
  const { leftoversRemoved, missingVersionIds, damagedJobIds, damagedVersionIds, orphansAdopted, orphansRemoved, catalogUnreadable = [], restoresSettled = [] } = loaded;
  return [
    catalogUnreadable.length > 0
      ? `UNREADABLE ${catalogUnreadable.join(', ')}: the jobs and versions in them are unknown, so no uncatalogued file is removed or adopted until they are restored (safekeep check lists them)`
      : '',
    restoresSettled.length > 0 ? `settled ${restoresSettled.length === 1 ? 'a restore' : 'restores'} a crash cut short: ${restoresSettled.join(', ')}` : '',
    leftoversRemoved > 0 ? `removed ${leftoversRemoved} partial cop${leftoversRemoved === 1 ? 'y' : 'ies'} left by an interrupted run` : '',
    missingVersionIds.length > 0 ? `versions missing on disk, not offered for revert: ${missingVersionIds.join(', ')}` : '',
    damagedJobIds.length > 0 ? `job records failing their checksum, not scheduled: ${damagedJobIds.join(', ')}` : '',
    damagedVersionIds.length > 0 ? `version records failing their checksum, not offered for revert: ${damagedVersionIds.join(', ')}` : '',
    orphansAdopted.length > 0 ? `adopted ${orphansAdopted.length} uncatalogued cop${orphansAdopted.length === 1 ? 'y' : 'ies'} of an interrupted run: ${orphansAdopted.join(', ')}` : '',
    orphansRemoved.length > 0 ? `removed ${orphansRemoved.length} uncatalogued version file${orphansRemoved.length === 1 ? '' : 's'}: ${orphansRemoved.join(', ')}` : '',
  ].filter(Boolean);
}

/** Whether the notes tell of something out of reach (unreadable, damaged or missing), not only of cleaning up: a warning rather than news. */
export function jobsLoadedFoundDamage(loaded: BackupJobsLoaded): boolean {
  const { missingVersionIds, damagedJobIds, damagedVersionIds, catalogUnreadable = [] } = loaded;
  return catalogUnreadable.length + damagedJobIds.length + damagedVersionIds.length + missingVersionIds.length > 0;
}
