import type { Bus } from '../bus/bus.ts';
import { KeyedLock } from '../concurrency/keyed-lock.ts';
import { toErrorShape } from '../errors/safekeep-error.ts';
import type { BackupFiles } from '../ports/backup-files.ts';
import type { BackupCatalog } from './catalog.ts';
import { forgetReportOf, type ForgetReport } from './forget-report.ts';
import type { BackupJob } from './job.ts';
import { decideRetention, type RetentionDecision, type RetentionPolicy } from './retention.ts';
import type { Calendar } from './retention-calendar.ts';
import type { BackupVersion } from './version.ts';
import type { VersionLedger } from './version-ledger.ts';

export interface ForgetOptions {
  /** Applied instead of the job's own policy (which is left as it is). */
  readonly policy?: RetentionPolicy;
  /** Only say what would be removed. */
  readonly dryRun?: boolean;
}

export interface RetentionPassDeps {
  readonly catalog: BackupCatalog;
  readonly files: BackupFiles;
  readonly bus: Bus;
  readonly calendar: Calendar;
  readonly ledger: VersionLedger;
  /** Deletes what is kept of a removed version (default: its file); in a cluster also its blob, and never another node's path. */
  readonly removeData?: (version: BackupVersion) => Promise<void>;
}

/**
 * Retention applied to a job's versions: after each new version (the job's
 * policy) and on `forget`. One pass per job at a time: a prune after a run and
 * a `forget` must not both delete the same version. A pinned version (one a
 * restore is copying) is never removed: it is kept, as `in-use`.
 */
export class RetentionPass {
  readonly #deps: RetentionPassDeps;
  readonly #lock = new KeyedLock();
  /** Version id → how many holders pinned it. */
  readonly #pins = new Map<string, number>();

  constructor(deps: RetentionPassDeps) {
    this.#deps = deps;
  }

  /**
   * Applies `policy` to the job's versions and reports what it kept, and why,
   * and what it removed (nothing with `dryRun`). Each removed version leaves
   * the catalog (durably) before its file is deleted. Rejects if that fails
   * part-way; `backup.pruned` says how far it got.
   */
  /** Keeps a version from every pass until the returned release is called (once per pin). */
  pin(versionId: string): () => void {
    this.#pins.set(versionId, (this.#pins.get(versionId) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#pins.get(versionId) ?? 1) - 1;
      if (left > 0) this.#pins.set(versionId, left);
      else this.#pins.delete(versionId);
    };
  }

  apply(job: BackupJob, policy: RetentionPolicy, dryRun: boolean): Promise<ForgetReport> {
    return this.#lock.run(job.id, () => this.#apply(job, policy, dryRun));
  }

  async #apply(job: BackupJob, policy: RetentionPolicy, dryRun: boolean): Promise<ForgetReport> {
    // Offered versions and quarantined ones; a version withdrawn while it awaits verification is neither counted nor removed.
    const candidates = [...this.#deps.ledger.offered(job.id), ...this.#deps.ledger.catalogued().versions.filter((version) => version.jobId === job.id && version.damaged)];
    const decision = this.#sparingPinned(decideRetention(candidates, policy, this.#deps.calendar));
    const planned = forgetReportOf(job.id, policy, decision, dryRun);
    if (dryRun || decision.remove.length === 0) return planned;
    const removed: string[] = [];
    try {
      for (const { version } of decision.remove) {
        await this.#deps.catalog.deleteVersion(version.id);
        this.#deps.ledger.forget(version);
        removed.push(version.id);
        await (this.#deps.removeData ? this.#deps.removeData(version) : this.#deps.files.removeVersionFile(version.path));
      }
    } catch (error) {
      void this.#deps.bus.emit('backup.pruned', { jobId: job.id, versionIds: removed, error: toErrorShape(error) });
      throw error;
    }
    void this.#deps.bus.emit('backup.pruned', { jobId: job.id, versionIds: removed });
    return planned;
  }

  /** The decision with every pinned version moved from removed to kept (newest first, as kept ones are listed). */
  #sparingPinned(decision: RetentionDecision<BackupVersion>): RetentionDecision<BackupVersion> {
    const spared = decision.remove.filter(({ version }) => this.#pins.has(version.id));
    if (spared.length === 0) return decision;
    const keep = [...decision.keep, ...spared.map(({ version }) => ({ version, reasons: [{ rule: 'in-use' as const }] }))];
    keep.sort((a, b) => b.version.seq - a.version.seq);
    return { keep, remove: decision.remove.filter(({ version }) => !this.#pins.has(version.id)) };
  }
}
