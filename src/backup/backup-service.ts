import path from 'node:path';
import type { Bus } from '../bus/bus.ts';
import type { Clock } from '../clock/clock.ts';
import { toErrorShape } from '../errors/safekeep-error.ts';
import type { IdSource } from '../ids/ids.ts';
import type { BackupFiles } from '../ports/backup-files.ts';
import type { VersionBlobs } from '../ports/version-blobs.ts';
import type { StoreChanged } from '../store/messages.ts';
import { fixedPlacement, type JobPlacement } from '../cluster/job-placement.ts';
import { defaultCacheDir, VersionPlaces } from './version-places.ts';
import { applyCatalogChange } from './remote-catalog-change.ts';
import { mayHaveBeenStored } from './ambiguous-write.ts';
import { clusterJobIdFor } from './cluster-job-id.ts';
import { JobRunsElsewhereError } from './errors.ts';
import type { BackupCatalog, DamagedRecord } from './catalog.ts';
import { settleOrphans } from './orphans.ts';
import { VersionLedger } from './version-ledger.ts';
import { VersionTrust } from './version-trust.ts';
import type { LoadReport } from './load-report.ts';
import type { RunOutcome } from './run-outcome.ts';
import { jobIdFor, type BackupJob, type BackupJobSpec } from './job.ts';
import { probePathOf, probeSizeOf, sameFingerprint, type BackupVersion, type DamageReason, type VersionFileFingerprint } from './version.ts';
import { versionFileName } from './version-name.ts';
import { UnknownJobError } from './errors.ts';
import type { ForgetReport } from './forget-report.ts';
import { samePolicy } from './retention.ts';
import { RetentionPass, type ForgetOptions } from './retention-pass.ts';

export type { LoadReport } from './load-report.ts';
export type { ForgetOptions } from './retention-pass.ts';
import { localCalendar, type Calendar } from './retention-calendar.ts';
import { policyOfKeep } from './retention-policy.ts';
import { asDirectorySource, IS_A_DIRECTORY, ownFoldersWithin, takeSnapshot } from './snapshot-run.ts';
import { restoreTargetsToSettle, settleInterruptedRestores } from './interrupted-restores.ts';
import type { RestoreDirectoryRequest, RestoredDirectory } from './restore-directory.ts';

export interface BackupServiceDeps {
  readonly catalog: BackupCatalog;
  readonly bus: Bus;
  readonly clock: Clock;
  readonly ids: IdSource;
  /** Versions of job `id` go to `<backupDir>/<id>/`. */
  readonly backupDir: string;
  /** The file-system work (`localBackupFiles`, or a recording's or replay's stand-in). */
  readonly files: BackupFiles;
  /** Folders no snapshot includes (safekeep's data directory); the backup folder always is one. */
  readonly ownFolders?: readonly string[];
  /** Read each new copy back and check its hash before it is registered (a second pass; default off). */
  readonly verifyCopies?: boolean;
  /** How retention reads times into hours, days and weeks; default the machine's time zone, as restic does. */
  readonly calendar?: Calendar;
  /** In a cluster: this node's name. Absent on one node, and then nothing below applies. */
  readonly node?: string;
  /** In a cluster: which node runs which job; default `fixedPlacement(node)`. */
  readonly placement?: JobPlacement;
  /** In a cluster with `--version-store nats`: where every new version's bytes are also kept. */
  readonly blobs?: VersionBlobs | null;
  /** In a cluster: where versions made on other nodes are brought to be served (`<dataDir>/cache`, the host passes it). */
  readonly cacheDir?: string;
  /** Awaited right before a new version is written to the catalog (a shared job's lease fence); if it throws, the version is not registered and its file and blob are removed. */
  readonly beforeRegister?: (version: BackupVersion) => Promise<void>;
}



/**
 * The backup domain: the jobs and their registered versions as the catalog
 * holds them (kept in memory, so `revert` reads no disk), one run of a job,
 * and retention. Every catalog change is durable before it shows here.
 */
export class BackupService {
  readonly #deps: BackupServiceDeps;
  readonly #jobs = new Map<string, BackupJob>();
  readonly #ledger = new VersionLedger();
  /** Job ids whose records failed their digest: a new job must not take (and overwrite) one. */
  readonly #damagedJobIds = new Set<string>();
  readonly #retention: RetentionPass;
  readonly #trust: VersionTrust;
  readonly #placement: JobPlacement;
  readonly #places: VersionPlaces;
  /** Other nodes' catalog writes that arrived before `load` finished, in order; null once it has. */
  #heldChanges: StoreChanged[] | null = [];

  constructor(deps: BackupServiceDeps) {
    this.#deps = deps;
    this.#placement = deps.placement ?? fixedPlacement(deps.node);
    this.#places = new VersionPlaces({ ...deps, node: deps.node, blobs: deps.blobs ?? null, ledger: this.#ledger, cacheDir: deps.cacheDir ?? defaultCacheDir(deps.ownFolders, deps.backupDir) });
    const isLocal = (version: BackupVersion) => this.isLocal(version);
    this.#trust = new VersionTrust({ ...deps, ledger: this.#ledger, isLocal });
    this.#retention = new RetentionPass({ ...deps, calendar: deps.calendar ?? localCalendar, ledger: this.#ledger, removeData: (version) => this.#places.removeAll(version) });
  }

  /** Whether this node runs a job: every job on one node (whatever a record says); in a cluster, as the placement says. */
  #runsHere(job: BackupJob): boolean {
    return this.#deps.node === undefined || this.#placement.runsHere(job);
  }

  #mustRunHere(job: BackupJob): void {
    if (this.#runsHere(job)) return;
    const runner = this.#placement.runnerOf(job);
    throw new JobRunsElsewhereError(`The backup job '${job.id}' runs on ${runner === null ? 'whichever node holds its lease' : `node '${runner}'`}, not on this node; ask that node`);
  }

  async #applyHeldChanges(): Promise<void> {
    const held = this.#heldChanges ?? [];
    this.#heldChanges = null;
    for (const change of held) await this.applyRemote(change).catch(() => undefined);
  }

  /**
   * Whether this node's disk holds the version (`path` is here): always on
   * one node; in a cluster, versions this node made and older records without
   * a node. Only local versions are checked against this disk; the others are
   * offered on the catalog's word and served from the cluster's object store.
   */
  isLocal(version: Pick<BackupVersion, 'node'>): boolean {
    return this.#places.isLocal(version);
  }

  /**
   * The version as this node can serve it: itself when local, else with
   * `path` leading to a verified copy in this node's cache (fetched from the
   * object store now if need be). Rejects with VERSION_NOT_HERE without an
   * object store, VERSION_UNAVAILABLE when the bytes cannot be had intact.
   */
  materialise(version: BackupVersion): Promise<BackupVersion> {
    return this.#places.materialise(version);
  }

  /**
   * Applies another node's write to the catalog (`store.changed` on
   * `backup.jobs` or `backup.versions`) to this node's jobs and versions, so
   * `status`, `versions` and `revert` here see it within moments. Other
   * collections are ignored.
   */
  async applyRemote(change: StoreChanged): Promise<void> {
    // Until the catalog is loaded, changes wait: the load would overwrite what they had set. Applied again after it, each is the same.
    if (this.#heldChanges) {
      this.#heldChanges.push(change);
      return;
    }
    await applyCatalogChange(change, {
      jobs: this.#jobs,
      ledger: this.#ledger,
      damagedJobIds: this.#damagedJobIds,
      // Another node's retention removed a version this node made: its file is an orphan now.
      dropVersionData: (version) => this.#places.dropHere(version),
      dropJobData: (jobId) => this.#places.cache?.evictJob(jobId) ?? Promise.resolve(),
    });
  }

  async load(): Promise<LoadReport> {
    const contents = await this.#deps.catalog.load();
    for (const job of [...contents.jobs].sort((a, b) => a.createdAt - b.createdAt)) {
      this.#jobs.set(job.id, job);
      this.#ledger.addJob(job.id);
    }
    for (const { key } of contents.damagedJobs) this.#damagedJobIds.add(key);
    this.#ledger.keepDamaged(contents.damagedVersions);
    const missing: BackupVersion[] = [];
    for (const version of [...contents.versions].sort((a, b) => a.seq - b.seq)) {
      this.#ledger.keep(version);
      if (!this.#ledger.hasJob(version.jobId) || version.damaged) continue;
      // Another node's version is on its disk, not this one's: offered on the catalog's word, never found missing here.
      if (!this.isLocal(version) || (await this.#deps.files.versionFileIntact(probePathOf(version), probeSizeOf(version)))) this.#ledger.offer(version);
      else missing.push(version);
    }
    await this.#places.cache?.clear();
    const restoresSettled = await this.#settleInterruptedRestores();
    let leftoversRemoved = 0;
    const orphansAdopted: BackupVersion[] = [];
    const orphansRemoved: string[] = [];
    const registeredPaths = this.#ledger.paths();
    for (const job of this.#jobs.values()) {
      // Only the folders of jobs that run here: another node's job has no folder on this disk worth settling.
      if (!this.#runsHere(job)) continue;
      const directory = this.#destinationOf(job.id);
      leftoversRemoved += await this.#deps.files.removeLeftoverTempFiles(directory);
      if (contents.unreadableShards.length > 0) continue;
      // A removed job adopts nothing: its versions may have been forgotten, and an orphan must not bring one back.
      const lastSeq = job.removedAt === undefined ? this.#ledger.lastSeq(job.id) : Number.POSITIVE_INFINITY;
      const settled = await settleOrphans({ job, directory, registeredPaths, lastSeq, files: this.#deps.files });
      orphansRemoved.push(...settled.removed);
      if (settled.adopted) {
        const adopted = await this.#adopt(settled.adopted);
        if (adopted) orphansAdopted.push(adopted);
        else orphansRemoved.push(settled.adopted.path);
      }
    }
    await this.#applyHeldChanges();
    return {
      missing,
      leftoversRemoved,
      damagedJobs: contents.damagedJobs,
      damagedVersions: contents.damagedVersions,
      orphansAdopted,
      orphansRemoved,
      catalogUnreadable: contents.unreadableShards,
      restoresSettled,
    };
  }

  async #settleInterruptedRestores(): Promise<string[]> {
    const isDirectoryJob = (job: BackupJob) => this.#ledger.recordsOf(job.id).some((version) => version.kind === 'directory');
    // A restore target is on the disk of the node that runs the job.
    const jobs = [...this.#jobs.values()].filter((job) => this.#runsHere(job));
    const { done, unsettled } = await settleInterruptedRestores(restoreTargetsToSettle(jobs, isDirectoryJob), this.#deps.files);
    // A target left unsettled stays recorded, so the next start tries it again.
    for (const job of jobs) if (job.restoringTo !== undefined && !unsettled.has(job.restoringTo)) await this.#setRestoringTo(job.id, undefined);
    return done;
  }

  /**
   * Puts a directory version of a job back at `request.target`, the target
   * recorded on the job (durably) first, so that if a crash cuts the restore
   * short the next start settles that target whole.
   */
  async restoreDirectory(jobId: string, request: Omit<RestoreDirectoryRequest, 'leftOut'>): Promise<RestoredDirectory> {
    const job = this.#jobs.get(jobId);
    if (!job) throw new UnknownJobError(`There is no backup job '${jobId}'`);
    // Replacing the tree whole would delete what the snapshots leave out: the restore is refused while the target holds any.
    const leftOut = { excludes: job.excludes ?? [], ownFolders: ownFoldersWithin(request.target, this.#ownFolders()) };
    await this.#setRestoringTo(jobId, request.target);
    try {
      return await this.#deps.files.restoreDirectory(request.replace ? { ...request, leftOut } : request);
    } finally {
      // Left set if this fails: the next start then only looks at a target that needs nothing.
      await this.#setRestoringTo(jobId, undefined).catch(() => undefined);
    }
  }

  async #setRestoringTo(jobId: string, target: string | undefined): Promise<void> {
    const job = this.#jobs.get(jobId);
    if (!job || job.restoringTo === target) return;
    const { restoringTo: _restoringTo, ...rest } = job;
    const updated: BackupJob = target === undefined ? rest : { ...rest, restoringTo: target };
    await this.#deps.catalog.saveJob(updated);
    this.#jobs.set(jobId, updated);
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
    const { node } = this.#deps;
    // In a cluster, a path names a file on this node (or shared storage): another node's /home/x/notes.txt is another file. Its own jobs also answer to their name without the node.
    return this.#jobs.get(ref) ?? (node === undefined ? undefined : this.#jobs.get(`${ref}.${node}`)) ?? [...this.#jobs.values()].find((job) => job.sourcePath === ref && this.#sourceIsHere(job));
  }

  /** Whether a job's source is one this node sees: every job on one node; in a cluster, its own jobs, shared ones and ones without a node. */
  #sourceIsHere(job: BackupJob): boolean {
    // A job without a node is shared, or older than the cluster (made when this data directory was one node's): as `fixedPlacement` says, it runs here.
    return this.#deps.node === undefined || job.node === undefined || job.node === this.#deps.node;
  }

  /** Creates the job for a source, or updates its interval, retention and excludes; durable before it resolves. */
  async upsertJob(spec: BackupJobSpec): Promise<BackupJob> {
    const sourcePath = path.resolve(spec.sourcePath);
    const { node } = this.#deps;
    const shared = node !== undefined && spec.shared === true;
    const existing = [...this.#jobs.values()].find((job) => job.sourcePath === sourcePath && this.#sourceIsHere(job) && (node === undefined || (job.shared === true) === shared));
    const retention = spec.retention ?? policyOfKeep(spec.keep);
    // Absent rather than empty, so jobs without any keep the records they always had.
    const excludes = spec.excludes && spec.excludes.length > 0 ? { excludes: [...spec.excludes] } : {};
    const sameExcludes = JSON.stringify(existing?.excludes ?? []) === JSON.stringify(spec.excludes ?? []);
    if (existing && existing.intervalMs === spec.intervalMs && samePolicy(existing.retention, retention) && sameExcludes && existing.removedAt === undefined) return existing;
    let job: BackupJob;
    if (existing) {
      // Named again, a removed job is active again.
      const { removedAt: _removedAt, ...active } = withoutExcludes(existing);
      job = { ...active, intervalMs: spec.intervalMs, retention, ...excludes };
    } else {
      const taken = new Set([...this.#jobs.keys(), ...this.#damagedJobIds]);
      job = {
        // A node's own job carries the node in its id, so two nodes adding the same name at once never write one record; a shared job's id is the same on every node that adds it.
        id: node === undefined || shared ? jobIdFor(sourcePath, taken) : clusterJobIdFor(sourcePath, node, taken),
        sourcePath,
        intervalMs: spec.intervalMs,
        retention,
        createdAt: this.#deps.clock.now(),
        ...excludes,
        ...(node === undefined ? {} : shared ? { shared: true as const } : { node }),
      };
    }
    await this.#deps.catalog.saveJob(job);
    this.#jobs.set(job.id, job);
    this.#ledger.addJob(job.id);
    return job;
  }

  /** Marks a job removed, durably: a start without sources no longer schedules it. */
  async markRemoved(jobId: string): Promise<BackupJob | undefined> {
    const job = this.#jobs.get(jobId);
    if (!job || job.removedAt !== undefined) return job;
    const removed: BackupJob = { ...job, removedAt: this.#deps.clock.now() };
    await this.#deps.catalog.saveJob(removed);
    this.#jobs.set(jobId, removed);
    return removed;
  }

  /**
   * Forgets a job and every version it has (quarantined ones too): the
   * versions leave the catalog first (durably), then their files are deleted,
   * then the job's record, so a crash part-way leaves orphan files (removed at
   * the next start), never a record without its file. Returns the version ids.
   */
  async forgetJob(jobId: string): Promise<string[]> {
    const versions = this.#ledger.recordsOf(jobId);
    for (const version of versions) {
      await this.#deps.catalog.deleteVersion(version.id);
      this.#ledger.forget(version);
    }
    for (const version of versions) await this.#places.removeAll(version);
    await this.#deps.catalog.deleteJob(jobId);
    this.#jobs.delete(jobId);
    this.#ledger.dropJob(jobId);
    await this.#places.cache?.evictJob(jobId);
    return versions.map((version) => version.id);
  }

  /** Every trusted version record of a job, offered or not (quarantined, missing), oldest first. */
  catalogedVersions(jobId: string): readonly BackupVersion[] {
    return this.#ledger.recordsOf(jobId);
  }

  /** A job's registered, intact versions, oldest first. */
  versions(jobId: string): readonly BackupVersion[] {
    return this.#ledger.offered(jobId);
  }

  newestVersion(jobId: string): BackupVersion | null {
    return this.#ledger.offered(jobId).at(-1) ?? null;
  }

  /**
   * The newest version whose file still matches the fingerprint recorded when
   * it was registered (see `VersionTrust.revertable`).
   */
  revertable(jobId: string): Promise<BackupVersion | null> {
    return this.#trust.revertable(jobId);
  }

  /** `revertable` for a `revert` request, which may trust a file found matching a moment ago (see `REVERT_TRUST_MS`). */
  forRevert(jobId: string): Promise<BackupVersion | null> {
    const found = this.#trust.forRevert(jobId);
    // One node's hot path stays as it was; in a cluster another node's version is answered as a verified local copy (see `materialise`).
    if (this.#deps.node === undefined) return found;
    return found.then((version) => (version === null || this.isLocal(version) ? version : this.materialise(version)));
  }

  /** Whether one version is offered and its file still matches its fingerprint (checked as `revertable` checks each). */
  servable(version: BackupVersion): Promise<boolean> {
    return this.#trust.servable(version);
  }

  /** Called with each version `revertable` withdrew; the host sends it to verification. */
  set onMismatch(handler: ((version: BackupVersion) => void) | undefined) {
    this.#trust.onMismatch = handler;
  }

  /** Every trusted version record (offered or not), by job and then oldest first; and the records that failed their digest. */
  catalogued(): { readonly versions: readonly BackupVersion[]; readonly damagedRecords: readonly DamagedRecord[] } {
    return this.#ledger.catalogued();
  }

  /** The version as the catalog holds it now (a pass may have changed it since it began). */
  record(versionId: string): BackupVersion | undefined {
    return this.#ledger.record(versionId);
  }

  /** Quarantines a version (see `VersionTrust.markDamaged`); false when it was already marked. */
  markDamaged(version: BackupVersion, reason: DamageReason, actualSha256: string | null): Promise<boolean> {
    return this.#trust.markDamaged(version, reason, actualSha256);
  }

  /** Offers a version again whose bytes verification found intact (see `VersionTrust.markIntact`). */
  markIntact(version: BackupVersion, file: VersionFileFingerprint): Promise<void> {
    return this.#trust.markIntact(version, file);
  }

  /**
   * One run of a job: copy if the source changed, register the version, prune.
   * Never rejects: a failure is an outcome, with the reason. `onProgress`
   * hears how far the copy has got after every chunk.
   */
  async run(jobId: string, signal?: AbortSignal, onProgress?: (bytesDone: number, totalBytes: number) => void): Promise<RunOutcome> {
    const { clock, ids, catalog, files } = this.#deps;
    const startedAt = clock.now();
    const durationMs = () => clock.now() - startedAt;
    try {
      const job = this.#jobs.get(jobId);
      if (!job) throw new Error(`No job '${jobId}'`);
      // Another node's job copies a file on that node: run here, it would copy this node's file of the same path into it.
      this.#mustRunHere(job);
      // The newest whose file still looks as registered: a damaged newest must not make an unchanged source look backed up.
      const found = await this.revertable(jobId);
      // A snapshot made on another node (a shared job that moved) has no tree here to link unchanged files from.
      const newest = found?.kind === 'directory' && !this.isLocal(found) ? null : found;
      const seq = this.#ledger.lastSeq(jobId) + 1;
      const tempId = ids.next('copy');
      // A directory job's newest is a snapshot: no need to find out again that the source is not a file.
      const result = newest?.kind === 'directory' ? IS_A_DIRECTORY : await files.copyVersion({
        sourcePath: job.sourcePath,
        destinationDir: this.#destinationOf(jobId),
        fileName: versionFileName(job.sourcePath, startedAt, seq),
        tempId,
        newest,
        ...(signal ? { signal } : {}),
        ...(onProgress ? { onProgress } : {}),
        // Only when on, so recordings made without it read the same.
        ...(this.#deps.verifyCopies ? { verify: true } : {}),
      }).catch(asDirectorySource);

      if (result === IS_A_DIRECTORY) {
        const snapshot = await takeSnapshot({ files, job, newest, seq, startedAt, tempId, destinationDir: this.#destinationOf(jobId), ownFolders: this.#ownFolders(), signal });
        if (snapshot.kind === 'unchanged') return { ok: true, kind: 'unchanged', version: snapshot.version, durationMs: durationMs() };
        const registered = await this.#registerOrRemove(this.#places.madeHere(snapshot.version, tempId));
        await this.#prune(job);
        return { ok: true, kind: 'copied', version: registered, durationMs: durationMs() };
      }
      if (result.kind === 'unchanged') {
        const current = newest as BackupVersion;
        // Same bytes under a new timestamp: remember the new fingerprint so the next run is a plain stat again.
        const version = sameFingerprint(current.source, result.source) ? current : { ...current, source: result.source };
        if (version !== current) {
          await catalog.saveVersion(version);
          this.#ledger.update(version);
        }
        return { ok: true, kind: 'unchanged', version, durationMs: durationMs() };
      }

      const version: BackupVersion = this.#places.madeHere(
        {
          id: `${jobId}@${seq}`,
          jobId,
          seq,
          path: result.path,
          size: result.size,
          sha256: result.sha256,
          createdAt: startedAt,
          source: result.source,
          file: result.file,
        },
        tempId,
      );
      const registered = await this.#registerOrRemove(version);
      await this.#prune(job);
      return { ok: true, kind: 'copied', version: registered, durationMs: durationMs() };
    } catch (error) {
      return { ok: false, error: toErrorShape(error), durationMs: durationMs() };
    }
  }

  /**
   * Applies a retention policy to a job's versions now (the job's own, unless
   * one is given) and reports what it kept, and why, and what it removed.
   * Each removed version leaves the catalog (durably) before its file is
   * deleted. Rejects if that fails part-way; `backup.pruned` says how far it got.
   */
  async forget(jobId: string, options: ForgetOptions = {}): Promise<ForgetReport> {
    const job = this.#jobs.get(jobId);
    if (!job) throw new UnknownJobError(`There is no backup job '${jobId}'`);
    // Retention is the business of the node that runs the job: two nodes pruning one job at once could each keep what the other removes.
    if (!options.dryRun) this.#mustRunHere(job);
    return this.#retention.apply(job, options.policy ?? job.retention, options.dryRun ?? false);
  }

  /** Keeps a version from retention (prunes and `forget`) until the returned release is called: a restore pins what it copies. */
  pin(versionId: string): () => void {
    return this.#retention.pin(versionId);
  }

  /**
   * The job's policy after a new version is registered, so the newest good
   * version (that one) is never among those removed, and a failed run removes
   * nothing. A failure is reported on the bus; the next version tries again.
   */
  async #prune(job: BackupJob): Promise<void> {
    await this.#retention.apply(job, this.#jobs.get(job.id)?.retention ?? job.retention, false).catch(() => undefined);
  }

  /**
   * Registers a new version: its bytes go to the object store (with one)
   * first, then the lease fence is asked, then the catalog. If any of that
   * fails, it is not a version: no unlisted copy and no blob is left behind —
   * except after a catalog write that may have been stored, whose record would
   * name them: they go only once deleting that record succeeded, else they
   * stay (the next start adopts or removes the file as an orphan). Resolves
   * with the version as registered (in a cluster its seq may have moved on,
   * see `#unusedId`).
   */
  async #registerOrRemove(version: BackupVersion): Promise<BackupVersion> {
    let registering = version;
    let cataloguing = false;
    try {
      await this.#places.putBlob(version);
      await this.#deps.beforeRegister?.(version);
      registering = await this.#unusedId(version);
      cataloguing = true;
      await this.#register(registering);
      return registering;
    } catch (error) {
      if (cataloguing && mayHaveBeenStored(error) && !(await this.#recordSurelyGone(registering.id))) throw error;
      await this.#deps.files.removeVersionFile(version.path).catch(() => undefined);
      await this.#places.deleteAttemptBlob(version).catch(() => undefined);
      throw error;
    }
  }

  /** Deletes a version record a failed write may have stored; true once the catalog surely does not hold it. */
  #recordSurelyGone(versionId: string): Promise<boolean> {
    return this.#deps.catalog.deleteVersion(versionId).then(
      () => true,
      () => false,
    );
  }

  /**
   * In a cluster, the version with an id no record has yet: a shared job's
   * next seq is this node's view of the catalog, and the node that held the
   * lease before may have registered that id since. Never written over: the
   * seq moves on. (The file keeps its name; the record gives its path.)
   */
  async #unusedId(version: BackupVersion): Promise<BackupVersion> {
    if (this.#deps.node === undefined) return version;
    let candidate = version;
    while (this.#ledger.record(candidate.id) !== undefined || (await this.#deps.catalog.hasVersion(candidate.id))) {
      const seq = Math.max(candidate.seq, this.#ledger.lastSeq(version.jobId)) + 1;
      candidate = { ...candidate, seq, id: `${version.jobId}@${seq}` };
    }
    return candidate;
  }

  /** An orphan taken in at start: as a new version (see `#registerOrRemove`) in a cluster; as before on one node. Null when it could not be, and was removed. */
  async #adopt(orphan: BackupVersion): Promise<BackupVersion | null> {
    if (this.#deps.node === undefined) {
      await this.#register(orphan);
      return orphan;
    }
    // Named for the orphan's own copy: an adoption is this node's only attempt at it.
    return this.#registerOrRemove(this.#places.madeHere(orphan, `adopted-${orphan.createdAt}`)).catch(() => null);
  }

  /** Catalogs a new version (durably first) and offers it. */
  async #register(version: BackupVersion): Promise<void> {
    await this.#deps.catalog.saveVersion(version);
    this.#ledger.offer(version);
  }

  #ownFolders(): string[] {
    return [this.#deps.backupDir, ...(this.#deps.ownFolders ?? [])];
  }

  #destinationOf(jobId: string): string {
    return path.join(this.#deps.backupDir, jobId);
  }
}

function withoutExcludes(job: BackupJob): BackupJob {
  const { excludes: _excludes, ...rest } = job;
  return rest;
}
