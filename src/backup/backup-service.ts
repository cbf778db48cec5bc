import path from 'node:path';
import type { Bus } from '../bus/bus.ts';
import type { Clock } from '../clock/clock.ts';
import { toErrorShape } from '../errors/safekeep-error.ts';
import type { IdSource } from '../ids/ids.ts';
import type { BackupFiles } from '../ports/backup-files.ts';
import type { BackupCatalog } from './catalog.ts';
import type { RunOutcome } from './run-outcome.ts';
import { jobIdFor, type BackupJob, type BackupJobSpec } from './job.ts';
import { sameFingerprint, type BackupVersion } from './version.ts';
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

  constructor(deps: BackupServiceDeps) {
    this.#deps = deps;
  }

  async load(): Promise<LoadReport> {
    const { jobs, versions } = await this.#deps.catalog.load();
    for (const job of [...jobs].sort((a, b) => a.createdAt - b.createdAt)) {
      this.#jobs.set(job.id, job);
      this.#versions.set(job.id, []);
    }
    const missing: BackupVersion[] = [];
    for (const version of [...versions].sort((a, b) => a.seq - b.seq)) {
      this.#lastSeq.set(version.jobId, Math.max(this.#lastSeq.get(version.jobId) ?? 0, version.seq));
      const list = this.#versions.get(version.jobId);
      if (!list) continue;
      if (await this.#deps.files.versionFileIntact(version.path, version.size)) list.push(version);
      else missing.push(version);
    }
    let leftoversRemoved = 0;
    for (const job of this.#jobs.values()) leftoversRemoved += await this.#deps.files.removeLeftoverTempFiles(this.#destinationOf(job.id));
    return { missing, leftoversRemoved };
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
          id: jobIdFor(sourcePath, new Set(this.#jobs.keys())),
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
      const newest = this.newestVersion(jobId);
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
      };
      try {
        await catalog.saveVersion(version);
      } catch (error) {
        // Not registered, so not a version: do not leave an unlisted copy behind.
        await files.removeVersionFile(result.path).catch(() => undefined);
        throw error;
      }
      this.#lastSeq.set(jobId, seq);
      this.#versions.get(jobId)?.push(version);
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
    if (list && list.length > 0) list[list.length - 1] = version;
  }

  #destinationOf(jobId: string): string {
    return path.join(this.#deps.backupDir, jobId);
  }
}
