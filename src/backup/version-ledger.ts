import type { DamagedRecord } from './catalog.ts';
import type { BackupVersion } from './version.ts';

const bySeq = (a: BackupVersion, b: BackupVersion) => a.seq - b.seq;

/**
 * What the backup service knows of versions, in memory (so `revert` reads no
 * catalog): every trusted record, the versions offered for revert per job,
 * and the highest sequence each job has used. No IO: the service changes the
 * catalog durably first and then tells the ledger.
 */
export class VersionLedger {
  /** Per job, oldest first: versions whose files were last found as registered. */
  readonly #offered = new Map<string, BackupVersion[]>();
  /** Every trusted record, offered or not (quarantined, missing, withdrawn), by id. */
  readonly #records = new Map<string, BackupVersion>();
  /** Per job, the highest sequence ever used, by any record, damaged ones included. */
  readonly #lastSeq = new Map<string, number>();
  #damagedRecords: readonly DamagedRecord[] = [];

  addJob(jobId: string): void {
    if (!this.#offered.has(jobId)) this.#offered.set(jobId, []);
  }

  hasJob(jobId: string): boolean {
    return this.#offered.has(jobId);
  }

  /** Keeps a trusted record (not offered until `offer`). */
  keep(version: BackupVersion): void {
    this.#records.set(version.id, version);
    this.#noteSeq(version.jobId, version.seq);
  }

  /** Records that failed their digest. Each still holds its id, so its sequence is never used again (a new record would overwrite it and orphan its file). */
  keepDamaged(records: readonly DamagedRecord[]): void {
    this.#damagedRecords = records;
    for (const record of records) this.#noteDamagedSeq(record);
  }

  #noteDamagedSeq({ key, stored }: DamagedRecord): void {
    const at = key.lastIndexOf('@');
    if (at <= 0) return;
    const storedSeq = (stored as { seq?: unknown }).seq;
    this.#noteSeq(key.slice(0, at), Math.max(Number(key.slice(at + 1)) || 0, typeof storedSeq === 'number' && Number.isSafeInteger(storedSeq) ? storedSeq : 0));
  }

  /** One more record that failed its digest (another node's write, as it arrived): it replaces any trusted record of that id. */
  addDamaged(record: DamagedRecord): void {
    const trusted = this.#records.get(record.key);
    if (trusted) this.forget(trusted);
    this.#damagedRecords = [...this.#damagedRecords.filter(({ key }) => key !== record.key), record];
    this.#noteDamagedSeq(record);
  }

  /** Drops a damaged record that left the catalog (or was written again, intact). */
  dropDamaged(key: string): void {
    if (this.#damagedRecords.some((record) => record.key === key)) this.#damagedRecords = this.#damagedRecords.filter((record) => record.key !== key);
  }

  /** Offers a kept version for revert (replacing an older copy of its record). */
  offer(version: BackupVersion): void {
    this.keep(version);
    const list = this.#offered.get(version.jobId);
    if (!list) return;
    const index = list.findIndex((listed) => listed.id === version.id);
    if (index >= 0) list[index] = version;
    else list.push(version);
    list.sort(bySeq);
  }

  /** Replaces a record; if it is offered, the offered copy too. */
  update(version: BackupVersion): void {
    this.#records.set(version.id, version);
    const list = this.#offered.get(version.jobId);
    const index = list?.findIndex((listed) => listed.id === version.id) ?? -1;
    if (list && index >= 0) list[index] = version;
  }

  /** Stops offering a version; its record stays. */
  withdraw(version: BackupVersion): void {
    const list = this.#offered.get(version.jobId);
    const index = list?.findIndex((listed) => listed.id === version.id) ?? -1;
    if (list && index >= 0) list.splice(index, 1);
  }

  /** Forgets a version entirely (pruned). */
  forget(version: BackupVersion): void {
    this.withdraw(version);
    this.#records.delete(version.id);
  }

  isOffered(version: BackupVersion): boolean {
    return this.#offered.get(version.jobId)?.some((listed) => listed.id === version.id) ?? false;
  }

  offered(jobId: string): readonly BackupVersion[] {
    return this.#offered.get(jobId) ?? [];
  }

  lastSeq(jobId: string): number {
    return this.#lastSeq.get(jobId) ?? 0;
  }

  record(versionId: string): BackupVersion | undefined {
    return this.#records.get(versionId);
  }

  /** Every trusted record of one job (offered or not: quarantined, missing, withdrawn), oldest first. */
  recordsOf(jobId: string): BackupVersion[] {
    return [...this.#records.values()].filter((version) => version.jobId === jobId).sort(bySeq);
  }

  /** Forgets a job that left the catalog; its sequence stays noted, so a job given the same id later never reuses a file name. */
  dropJob(jobId: string): void {
    for (const version of this.recordsOf(jobId)) this.forget(version);
    this.#offered.delete(jobId);
  }

  /** Every trusted record, by job and then oldest first; and the records that failed their digest. */
  catalogued(): { readonly versions: readonly BackupVersion[]; readonly damagedRecords: readonly DamagedRecord[] } {
    const versions = [...this.#records.values()].sort((a, b) => (a.jobId === b.jobId ? a.seq - b.seq : a.jobId < b.jobId ? -1 : 1));
    return { versions, damagedRecords: this.#damagedRecords };
  }

  /** Every path a record names, damaged records included: none of these files is an orphan. */
  paths(): Set<string> {
    const paths = new Set([...this.#records.values()].map((version) => version.path));
    for (const { stored } of this.#damagedRecords) {
      const storedPath = (stored as { path?: unknown }).path;
      if (typeof storedPath === 'string') paths.add(storedPath);
    }
    return paths;
  }

  #noteSeq(jobId: string, seq: number): void {
    this.#lastSeq.set(jobId, Math.max(this.#lastSeq.get(jobId) ?? 0, seq));
  }
}
