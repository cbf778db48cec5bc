import type { Bus } from '../bus/bus.ts';
import type { Clock } from '../clock/clock.ts';
import { toErrorShape } from '../errors/safekeep-error.ts';
import type { BackupFiles } from '../ports/backup-files.ts';
import type { BackupCatalog } from './catalog.ts';
import type { VersionLedger } from './version-ledger.ts';
import { fileMatches, probePathOf, type BackupVersion, type DamageReason, type VersionFileFingerprint } from './version.ts';

export interface VersionTrustDeps {
  readonly ledger: VersionLedger;
  readonly catalog: BackupCatalog;
  readonly files: BackupFiles;
  readonly bus: Bus;
  readonly clock: Clock;
  /** Whether this node's disk holds the version; others are offered on the catalog's word. Default: every version. */
  readonly isLocal?: (version: BackupVersion) => boolean;
}

/**
 * How long, on the host's clock, the newest version's file is taken as still
 * matching after a `stat` found it so, for `revert` alone. A busy client
 * asks many times a second, and a `stat` each time (a file-system call, and
 * an answer on a later turn) would cost more than the rest of its request;
 * one a second finds a replaced or deleted file as surely, a second later at
 * most. Restores and named versions are checked every time.
 */
export const REVERT_TRUST_MS = 1_000;

/**
 * Which versions are offered for revert: a version whose file no longer
 * looks as registered is withdrawn (and sent to verification); verification
 * quarantines it (durably marked damaged) or offers it again.
 */
export class VersionTrust {
  readonly #deps: VersionTrustDeps;
  /** Per job, the newest version as `revertable` last found it matching, and when. */
  readonly #lastMatch = new Map<string, { readonly version: BackupVersion; readonly at: number }>();

  constructor(deps: VersionTrustDeps) {
    this.#deps = deps;
  }

  /**
   * The newest version whose file still matches the fingerprint recorded when
   * it was registered (one `stat` each). A version that does not is reported,
   * withdrawn and sent to verification, which offers it again if its bytes
   * are intact and quarantines it if not.
   */
  async revertable(jobId: string): Promise<BackupVersion | null> {
    // A copy of the list: versions may be withdrawn from it while this awaits.
    const list = [...this.#deps.ledger.offered(jobId)];
    for (let index = list.length - 1; index >= 0; index--) {
      const version = list[index] as BackupVersion;
      if (await this.#stillMatches(version)) {
        if (version === this.#deps.ledger.offered(jobId).at(-1)) this.#lastMatch.set(jobId, { version, at: this.#deps.clock.now() });
        return version;
      }
    }
    return null;
  }

  /**
   * `revertable` for a `revert` request: the newest version is trusted
   * without a `stat` for REVERT_TRUST_MS after one found it matching.
   */
  async forRevert(jobId: string): Promise<BackupVersion | null> {
    const newest = this.#deps.ledger.offered(jobId).at(-1);
    const last = this.#lastMatch.get(jobId);
    if (newest && last?.version === newest && this.#deps.clock.now() - last.at < REVERT_TRUST_MS) return newest;
    return this.revertable(jobId);
  }

  /** Whether one version is offered and its file still matches its fingerprint (checked as `revertable` checks each). */
  async servable(version: BackupVersion): Promise<boolean> {
    return this.#deps.ledger.isOffered(version) && (await this.#stillMatches(version));
  }

  async #stillMatches(version: BackupVersion): Promise<boolean> {
    // Another node's version is not on this disk, and that is no sign of damage: its maker verified it, and serving it verifies the copy.
    if (this.#deps.isLocal && !this.#deps.isLocal(version)) return true;
    const current = await this.#deps.files.statVersionFile(probePathOf(version));
    if (fileMatches(version, current)) return true;
    if (!this.#deps.ledger.isOffered(version)) return false;
    this.#deps.ledger.withdraw(version);
    void this.#deps.bus.emit('backup.version.mismatch', {
      jobId: version.jobId,
      versionId: version.id,
      path: version.path,
      expected: version.file ?? { size: version.size },
      actual: current,
      at: this.#deps.clock.now(),
    });
    this.#onMismatch?.(version);
    return false;
  }

  /** Called with each version `revertable` withdrew; the host sends it to verification. */
  set onMismatch(handler: ((version: BackupVersion) => void) | undefined) {
    this.#onMismatch = handler;
  }

  #onMismatch: ((version: BackupVersion) => void) | undefined;

  /**
   * Quarantines a version: durably marked damaged in the catalog, withdrawn
   * from `revert`, reported. If it was the newest, the next run no longer
   * compares the source with it, so an unchanged source is copied again.
   * Returns false when it was already marked.
   */
  async markDamaged(version: BackupVersion, reason: DamageReason, actualSha256: string | null): Promise<boolean> {
    const current = this.#deps.ledger.record(version.id);
    if (!current || current.damaged) return false;
    const marked: BackupVersion = { ...current, damaged: { at: this.#deps.clock.now(), reason } };
    // Withdrawn before the save: a damaged file must not be served while the mark is being written.
    this.#deps.ledger.withdraw(marked);
    this.#deps.ledger.update(marked);
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
    const current = this.#deps.ledger.record(version.id);
    if (!current) return;
    const { damaged: _damaged, ...rest } = current;
    const restored: BackupVersion = { ...rest, file };
    const changed = current.damaged !== undefined || current.file === undefined || !fileMatches(current, file);
    if (changed) await this.#deps.catalog.saveVersion(restored);
    this.#deps.ledger.offer(changed ? restored : current);
  }
}
