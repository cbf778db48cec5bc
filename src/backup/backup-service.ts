import path from 'node:path';
import type { Bus } from '../bus/bus.ts';
import type { Clock } from '../clock/clock.ts';
import { toErrorShape } from '../errors/safekeep-error.ts';
import type { IdSource } from '../ids/ids.ts';
import type { BackupFiles } from '../ports/backup-files.ts';
import type { BackupCatalog, DamagedRecord } from './catalog.ts';
import { settleOrphans } from './orphans.ts';
import type { RunOutcome } from './run-outcome.ts';
import { jobIdFor, type BackupJob, type BackupJobSpec } from './job.ts';
import { fileMatches, sameFingerprint, type BackupVersion, type DamageReason, type VersionFileFingerprint } from './version.ts';
import { versionFileName } from './version-name.ts';

export interface BackupServiceDeps {
  readonly catalog: BackupCatalog;
  readonly bus: Bus;
  readonly clock: Clock;
  readonly ids: IdSource;
  /** Versions of job `id` go to `<backupDir>/<id>/`. */
  readonly backupDir: string;
  /** The file-system work (`localBackupFiles`, or a recording's or replay's stand-in). */
  readonly files: BackupFiles;
}

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
}

/**
 * The backup domain: the jobs and their registered versions as the catalog
 * holds them (kept in memory, so `revert` reads no disk), one run of a job,
 * and retention. Every catalog change is durable before it shows here.
 */
export class BackupService {
  readonly #deps: BackupServiceDeps;
  readonly #jobs = new Map<string, BackupJob>();
  /** Per job, oldest first. Only versions whose files were found intact. */
  readonly #versions = new Map<string, BackupVersion[]>();
  /** Per job, the highest sequence number ever registered, intact or not. */
  readonly #lastSeq = new Map<string, number>();
  /** Every trusted version record, offered or not (quarantined, missing, suspect), by id. */
  readonly #records = new Map<string, BackupVersion>();
  /** Records that failed their digest; never offered, reported by every verification. */
  #damagedRecords: readonly DamagedRecord[] = [];
  /** Job ids whose records failed their digest: a new job must not take (and overwrite) one. */
  readonly #damagedJobIds = new Set<string>();

  constructor(deps: BackupServiceDeps) {
    this.#deps = deps;
  }

  async load(): Promise<LoadReport> {
    const contents = await this.#deps.catalog.load();
    for (const job of [...contents.jobs].sort((a, b) => a.createdAt - b.createdAt)) {
      this.#jobs.set(job.id, job);
      this.#versions.set(job.id, []);
    }
    for (const { key } of contents.damagedJobs) this.#damagedJobIds.add(key);
    this.#damagedRecords = contents.damagedVersions;
    // A damaged record still holds its id: the next copy must get a later sequence, or it would overwrite the record (and orphan its file).
    for (const { key, stored } of contents.damagedVersions) {
      const at = key.lastIndexOf('@');
      const storedSeq = (stored as { seq?: unknown }).seq;
      const seq = Math.max(Number(key.slice(at + 1)) || 0, typeof storedSeq === 'number' && Number.isSafeInteger(storedSeq) ? storedSeq : 0);
      if (at > 0) this.#lastSeq.set(key.slice(0, at), Math.max(this.#lastSeq.get(key.slice(0, at)) ?? 0, seq));
    }
    const missing: BackupVersion[] = [];
    for (const version of [...contents.versions].sort((a, b) => a.seq - b.seq)) {
      this.#lastSeq.set(version.jobId, Math.max(this.#lastSeq.get(version.jobId) ?? 0, version.seq));
      this.#records.set(version.id, version);
      const list = this.#versions.get(version.jobId);
      if (!list || version.damaged) continue;
      if (await this.#deps.files.versionFileIntact(version.path, version.size)) list.push(version);
      else missing.push(version);
    }
    let leftoversRemoved = 0;
    const orphansAdopted: BackupVersion[] = [];
    const orphansRemoved: string[] = [];
    const registeredPaths = new Set([...this.#records.values()].map((version) => version.path));
    for (const { stored } of contents.damagedVersions) {
      const storedPath = (stored as { path?: unknown }).path;
      if (typeof storedPath === 'string') registeredPaths.add(storedPath);
    }
    for (const job of this.#jobs.values()) {
      const directory = this.#destinationOf(job.id);
      leftoversRemoved += await this.#deps.files.removeLeftoverTempFiles(directory);
      const settled = await settleOrphans({ job, directory, registeredPaths, lastSeq: this.#lastSeq.get(job.id) ?? 0, files: this.#deps.files });
      orphansRemoved.push(...settled.removed);
      if (settled.adopted) {
        await this.#register(settled.adopted);
        orphansAdopted.push(settled.adopted);
      }
    }
    return {
      missing,
      leftoversRemoved,
      damagedJobs: contents.damagedJobs,
      damagedVersions: contents.damagedVersions,
      orphansAdopted,
      orphansRemoved,
    };
  }

  /** All known jobs, oldest first. */
  jobs(): BackupJob[] {
    return [...this.#jobs.values()];
  }

  job(id: string): BackupJob | undefined {
    return this.#jobs.get(id);
  }

  /** The job for `ref`: its id, or the absolute path of its source. */
  findJob(ref: string): BackupJob | undefined {
    return this.#jobs.get(ref) ?? [...this.#jobs.values()].find((job) => job.sourcePath === ref);
  }

  /** Creates the job for a source, or updates its interval and retention; durable before it resolves. */
  async upsertJob(spec: BackupJobSpec): Promise<BackupJob> {
    const sourcePath = path.resolve(spec.sourcePath);
    const existing = [...this.#jobs.values()].find((job) => job.sourcePath === sourcePath);
    const keep = spec.keep ?? null;
    if (existing && existing.intervalMs === spec.intervalMs && existing.keep === keep) return existing;
    const job: BackupJob = existing
      ? { ...existing, intervalMs: spec.intervalMs, keep }
      : {
          id: jobIdFor(sourcePath, new Set([...this.#jobs.keys(), ...this.#damagedJobIds])),
          sourcePath,
          intervalMs: spec.intervalMs,
          keep,
          createdAt: this.#deps.clock.now(),
        };
    await this.#deps.catalog.saveJob(job);
    this.#jobs.set(job.id, job);
    if (!this.#versions.has(job.id)) this.#versions.set(job.id, []);
    return job;
  }

  /** A job's registered, intact versions, oldest first. */
  versions(jobId: string): readonly BackupVersion[] {
    return this.#versions.get(jobId) ?? [];
  }

  newestVersion(jobId: string): BackupVersion | null {
    return this.#versions.get(jobId)?.at(-1) ?? null;
  }

  /**
   * The newest version whose file still matches the fingerprint recorded when
   * it was registered (one `stat` each). A version that does not is reported,
   * withdrawn and sent to verification, which offers it again if its bytes
   * are intact and quarantines it if not.
   */
  async revertable(jobId: string): Promise<BackupVersion | null> {
    const list = this.#versions.get(jobId) ?? [];
    for (let index = list.length - 1; index >= 0; index--) {
      const version = list[index] as BackupVersion;
      const current = await this.#deps.files.statVersionFile(version.path);
      if (fileMatches(version, current)) return version;
      if (!list.includes(version)) continue;
      list.splice(list.indexOf(version), 1);
      void this.#deps.bus.emit('backup.version.mismatch', {
        jobId,
        versionId: version.id,
        path: version.path,
        expected: version.file ?? { size: version.size },
        actual: current,
        at: this.#deps.clock.now(),
      });
      this.#onMismatch?.(version);
    }
    return null;
  }

  /** Called with each version `revertable` withdrew; the host sends it to verification. */
  set onMismatch(handler: ((version: BackupVersion) => void) | undefined) {
    this.#onMismatch = handler;
  }

  #onMismatch: ((version: BackupVersion) => void) | undefined;

  /** Every trusted version record (offered or not), by job and then oldest first; and the records that failed their digest. */
  catalogued(): { readonly versions: readonly BackupVersion[]; readonly damagedRecords: readonly DamagedRecord[] } {
    const versions = [...this.#records.values()].sort((a, b) => (a.jobId === b.jobId ? a.seq - b.seq : a.jobId < b.jobId ? -1 : 1));
    return { versions, damagedRecords: this.#damagedRecords };
  }

  /** The version as the catalog holds it now (a pass may have changed it since it began). */
  record(versionId: string): BackupVersion | undefined {
    return this.#records.get(versionId);
  }

  /**
   * Quarantines a version: durably marked damaged in the catalog, withdrawn
   * from `revert`, reported. If it was the newest, the next run no longer
   * compares the source with it, so an unchanged source is copied again.
   * Returns false when it was already marked.
   */
  async markDamaged(version: BackupVersion, reason: DamageReason, actualSha256: string | null): Promise<boolean> {
    const current = this.#records.get(version.id);
    if (!current || current.damaged) return false;
    const marked: BackupVersion = { ...current, damaged: { at: this.#deps.clock.now(), reason } };
    this.#records.set(marked.id, marked);
    this.#withdraw(marked);
    let error;
    try {
      await this.#deps.catalog.saveVersion(marked);
    } catch (failure) {
      error = toErrorShape(failure);
    }
    void this.#deps.bus.emit('backup.version.damaged', {
      jobId: marked.jobId,
      versionId: marked.id,
      path: marked.path,
      reason,
      expectedSha256: marked.sha256,
      actualSha256,
      at: this.#deps.clock.now(),
      ...(error ? { error } : {}),
    });
    return true;
  }

  /**
   * Offers a version again whose bytes verification found intact: its mark
   * (if any) is cleared and the file's current fingerprint recorded, durably
   * first, so `revert` trusts it again.
   */
  async markIntact(version: BackupVersion, file: VersionFileFingerprint): Promise<void> {
    const current = this.#records.get(version.id);
    if (!current) return;
    const { damaged: _damaged, ...rest } = current;
    const restored: BackupVersion = { ...rest, file };
    const offered = this.#versions.get(current.jobId);
    const changed = current.damaged !== undefined || !fileMatches(current, file) || current.file === undefined;
    if (changed) {
      await this.#deps.catalog.saveVersion(restored);
      this.#records.set(restored.id, restored);
    }
    if (offered && !offered.some((version) => version.id === restored.id)) {
      offered.push(changed ? restored : current);
      offered.sort((a, b) => a.seq - b.seq);
    } else if (offered && changed) {
      offered[offered.findIndex((version) => version.id === restored.id)] = restored;
    }
  }

  /**
   * One run of a job: copy if the source changed, register the version, prune.
   * Never rejects: a failure is an outcome, with the reason.
   */
  async run(jobId: string, signal?: AbortSignal): Promise<RunOutcome> {
    const { clock, ids, catalog, files } = this.#deps;
    const startedAt = clock.now();
    const durationMs = () => clock.now() - startedAt;
    try {
      const job = this.#jobs.get(jobId);
      if (!job) throw new Error(`No job '${jobId}'`);
      // The newest whose file still looks as registered: a damaged newest must not make an unchanged source look backed up.
      const newest = await this.revertable(jobId);
      const seq = (this.#lastSeq.get(jobId) ?? 0) + 1;
      const result = await files.copyVersion({
        sourcePath: job.sourcePath,
        destinationDir: this.#destinationOf(jobId),
        fileName: versionFileName(job.sourcePath, startedAt, seq),
        tempId: ids.next('copy'),
        newest,
        ...(signal ? { signal } : {}),
      });

      if (result.kind === 'unchanged') {
        const current = newest as BackupVersion;
        // Same bytes under a new timestamp: remember the new fingerprint so the next run is a plain stat again.
        const version = sameFingerprint(current.source, result.source) ? current : { ...current, source: result.source };
        if (version !== current) {
          await catalog.saveVersion(version);
          this.#records.set(version.id, version);
          this.#replaceNewest(jobId, version);
        }
        return { ok: true, kind: 'unchanged', version, durationMs: durationMs() };
      }

      const version: BackupVersion = {
        id: `${jobId}@${seq}`,
        jobId,
        seq,
        path: result.path,
        size: result.size,
        sha256: result.sha256,
        createdAt: startedAt,
        source: result.source,
        file: result.file,
      };
      try {
        await this.#register(version);
      } catch (error) {
        // Not registered, so not a version: do not leave an unlisted copy behind.
        await files.removeVersionFile(result.path).catch(() => undefined);
        throw error;
      }
      await this.#prune(job);
      return { ok: true, kind: 'copied', version, durationMs: durationMs() };
    } catch (error) {
      return { ok: false, error: toErrorShape(error), durationMs: durationMs() };
    }
  }

  /**
   * Deletes versions beyond the job's `keep`, oldest first. Runs only after a
   * new version is registered, so the newest good version is never among them.
   * Each leaves the catalog (durably) before its file is deleted.
   */
  async #prune(job: BackupJob): Promise<void> {
    const versions = this.#versions.get(job.id) ?? [];
    if (job.keep === null || versions.length <= job.keep) return;
    const doomed = versions.slice(0, versions.length - job.keep);
    const removed: string[] = [];
    try {
      for (const version of doomed) {
        await this.#deps.catalog.deleteVersion(version.id);
        versions.splice(versions.indexOf(version), 1);
        this.#records.delete(version.id);
        removed.push(version.id);
        await this.#deps.files.removeVersionFile(version.path);
      }
      void this.#deps.bus.emit('backup.pruned', { jobId: job.id, versionIds: removed });
    } catch (error) {
      void this.#deps.bus.emit('backup.pruned', { jobId: job.id, versionIds: removed, error: toErrorShape(error) });
    }
  }

  #replaceNewest(jobId: string, version: BackupVersion): void {
    const list = this.#versions.get(jobId);
    const index = list?.findIndex((listed) => listed.id === version.id) ?? -1;
    if (list && index >= 0) list[index] = version;
  }

  /** Catalogs a new version (durably first) and offers it. */
  async #register(version: BackupVersion): Promise<void> {
    await this.#deps.catalog.saveVersion(version);
    this.#lastSeq.set(version.jobId, Math.max(this.#lastSeq.get(version.jobId) ?? 0, version.seq));
    this.#records.set(version.id, version);
    const list = this.#versions.get(version.jobId);
    if (list) {
      list.push(version);
      list.sort((a, b) => a.seq - b.seq);
    }
  }

  #withdraw(version: BackupVersion): void {
    const list = this.#versions.get(version.jobId);
    const index = list?.findIndex((listed) => listed.id === version.id) ?? -1;
    if (list && index >= 0) list.splice(index, 1);
  }

  #destinationOf(jobId: string): string {
    return path.join(this.#deps.backupDir, jobId);
  }
}
