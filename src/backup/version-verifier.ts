import type { Bus } from '../bus/bus.ts';
import type { Clock } from '../clock/clock.ts';
import type { BackupFiles } from '../ports/backup-files.ts';
import type { BackupService } from './backup-service.ts';
import type { BackupVerified } from './events.ts';
import { checkVersionFile, damagedRecordCheck, type VersionCheck, type VerifyReport } from './version-check.ts';
import type { BackupVersion } from './version.ts';

export interface VerifyOptions {
  readonly trigger: BackupVerified['trigger'];
  /** Stops the pass between files (and inside the one being read). */
  readonly signal?: AbortSignal;
  /** Awaited after each file with the bytes it read: the scheduled scrub uses it to keep its read rate low. */
  readonly pace?: (bytesRead: number) => Promise<void>;
}

/**
 * Re-hashes versions against the catalog, one file at a time, and acts on
 * what it finds: a damaged version is quarantined (see
 * `BackupService.markDamaged`), an intact one that `revert` had withdrawn is
 * offered again. Every pass ends with a `backup.verified` event.
 */
export class VersionVerifier {
  readonly #deps: { readonly service: BackupService; readonly files: BackupFiles; readonly bus: Bus; readonly clock: Clock };

  constructor(deps: { service: BackupService; files: BackupFiles; bus: Bus; clock: Clock }) {
    this.#deps = deps;
  }

  /** Every catalogued version this node's disk holds, including quarantined ones (a file put back intact is offered again). */
  async verifyAll(options: VerifyOptions): Promise<VerifyReport> {
    const { versions, damagedRecords } = this.#deps.service.catalogued();
    const checks: VersionCheck[] = [];
    // Per job, the last snapshot this pass found intact: the next one's files shared with it by hard link are not read again.
    const intactSnapshots = new Map<string, BackupVersion>();
    for (const listed of versions) {
      if (options.signal?.aborted) break;
      // A prune or an earlier check may have changed or removed it since the pass began.
      const version = this.#deps.service.record(listed.id);
      // Another node's version is on its disk: that node verifies it (this one must never call it missing).
      if (!version || !this.#deps.service.isLocal(version)) continue;
      const { check, bytesRead } = await this.#verify(version, options.signal, intactSnapshots.get(version.jobId));
      if (version.kind === 'directory' && !check.damaged) intactSnapshots.set(version.jobId, version);
      checks.push(check);
      await options.pace?.(bytesRead);
    }
    checks.push(...damagedRecords.map(({ key, stored }) => damagedRecordCheck(key, stored)));
    return this.#report(checks, options.trigger);
  }

  /** One version, as a mismatch found by `revert` asks. */
  async verifyOne(version: BackupVersion): Promise<VerifyReport> {
    const current = this.#deps.service.record(version.id);
    const checks = current && this.#deps.service.isLocal(current) ? [(await this.#verify(current)).check] : [];
    return this.#report(checks, 'mismatch');
  }

  async #verify(version: BackupVersion, signal?: AbortSignal, verifiedBefore?: BackupVersion): Promise<{ check: VersionCheck; bytesRead: number }> {
    const { file, bytesRead, ...check } = await checkVersionFile(version, this.#deps.files, signal, verifiedBefore);
    if (check.damaged) await this.#deps.service.markDamaged(version, check.reason ?? 'content-mismatch', check.actualSha256);
    else if (file) await this.#deps.service.markIntact(version, file);
    return { check, bytesRead };
  }

  #report(checks: VersionCheck[], trigger: BackupVerified['trigger']): VerifyReport {
    const damaged = checks.filter((check) => check.damaged);
    void this.#deps.bus.emit('backup.verified', {
      at: this.#deps.clock.now(),
      trigger,
      checked: checks.length,
      damaged: damaged.length,
      damagedVersionIds: damaged.map((check) => check.versionId),
    });
    return { checked: checks.length, damaged: damaged.length, versions: checks };
  }
}
