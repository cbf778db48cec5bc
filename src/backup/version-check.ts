import type { BackupFiles } from '../ports/backup-files.ts';
import { digestState } from '../integrity/record-digest.ts';
import { versionFileFingerprint } from './file-hash.ts';
import type { BackupVersion, DamageReason, VersionFileFingerprint } from './version.ts';

/** One version's verification: what the catalog says, what the file hashes to, and the verdict. */
export interface VersionCheck {
  readonly versionId: string;
  /** Null only when the record itself is damaged and does not say. */
  readonly jobId: string | null;
  readonly path: string | null;
  /** The catalogued SHA-256 (null when the record is damaged: it cannot be trusted). */
  readonly expectedSha256: string | null;
  /** What the file hashes to now, when it could be read. */
  readonly actualSha256: string | null;
  readonly damaged: boolean;
  /** Why it is damaged; null when intact. */
  readonly reason: DamageReason | null;
}

/** A whole verification pass. */
export interface VerifyReport {
  readonly checked: number;
  readonly damaged: number;
  /** Every version, by job and then oldest first; records that failed their digest last. */
  readonly versions: readonly VersionCheck[];
}

/**
 * Re-hashes one version's file and compares it with its catalog record (as
 * `restic check --read-data` does for a pack); a snapshot's every file. `file` is the file's current
 * fingerprint when it was read, so an intact file's new mtime or inode can be
 * recorded and `revert` trusts it again.
 *
 * @example
 * const check = await checkVersionFile(version, localBackupFiles);
 * if (check.damaged) console.log(`${check.versionId}: ${check.reason}`);
 */
export async function checkVersionFile(
  version: BackupVersion,
  files: Pick<BackupFiles, 'hashFile' | 'checkSnapshot'>,
  signal?: AbortSignal,
  /** A snapshot of the same job this pass found intact: files it shares by hard link are not read again. */
  verifiedBefore?: Pick<BackupVersion, 'path' | 'sha256'>,
): Promise<VersionCheck & { readonly file: VersionFileFingerprint | null; readonly bytesRead: number }> {
  const base = { versionId: version.id, jobId: version.jobId, path: version.path, expectedSha256: version.sha256 };
  if (version.kind === 'directory') {
    // A snapshot's `sha256` is its manifest's, and the manifest holds every file's.
    const checked = await files.checkSnapshot(version.path, version.sha256, {
      ...(signal ? { signal } : {}),
      ...(verifiedBefore ? { verifiedBefore: { path: verifiedBefore.path, sha256: verifiedBefore.sha256 } } : {}),
    });
    if (checked.kind === 'intact') return { ...base, actualSha256: version.sha256, damaged: false, reason: null, file: checked.file, bytesRead: checked.bytesRead };
    return { ...base, actualSha256: checked.actualSha256, damaged: true, reason: checked.reason, file: null, bytesRead: checked.bytesRead };
  }
  const hashed = await files.hashFile(version.path, signal ? { signal } : {});
  switch (hashed.kind) {
    case 'missing':
      return { ...base, actualSha256: null, damaged: true, reason: 'missing', file: null, bytesRead: 0 };
    case 'unreadable':
      return { ...base, actualSha256: null, damaged: true, reason: 'unreadable', file: null, bytesRead: 0 };
    case 'hashed': {
      const intact = hashed.size === version.size && hashed.sha256 === version.sha256;
      return {
        ...base,
        actualSha256: hashed.sha256,
        damaged: !intact,
        reason: intact ? null : 'content-mismatch',
        file: versionFileFingerprint(hashed.fingerprint),
        bytesRead: hashed.size,
      };
    }
  }
}

/** The check of a version record that failed its digest: damaged, whatever its file holds, since nothing says what it should hold. */
export function damagedRecordCheck(key: string, stored: unknown): VersionCheck {
  const record = (typeof stored === 'object' && stored !== null ? stored : {}) as Record<string, unknown>;
  const text = (value: unknown) => (typeof value === 'string' ? value : null);
  return { versionId: key, jobId: text(record['jobId']), path: text(record['path']), expectedSha256: null, actualSha256: null, damaged: true, reason: 'record-damaged' };
}

/**
 * Checks one stored version record end to end, as the offline `safekeep
 * check` needs it: its digest first (a damaged record is damaged, whatever
 * its file holds), then its file's bytes against its `sha256`.
 */
export async function checkVersionRecord(key: string, stored: unknown, files: Pick<BackupFiles, 'hashFile' | 'checkSnapshot'>): Promise<VersionCheck> {
  if (typeof stored !== 'object' || stored === null || digestState(stored) === 'damaged' || !isCheckable(stored)) return damagedRecordCheck(key, stored);
  const { file: _file, bytesRead: _bytes, ...check } = await checkVersionFile(stored, files);
  return check;
}

function isCheckable(record: object): record is BackupVersion {
  const version = record as Partial<BackupVersion>;
  return typeof version.id === 'string' && typeof version.jobId === 'string' && typeof version.path === 'string' && typeof version.sha256 === 'string' && typeof version.size === 'number';
}
