import type { CopyVersionRequest, CopyVersionResult } from '../backup/copy-version.ts';
import type { HashedFile } from '../backup/file-hash.ts';
import type { PathLookup } from '../backup/path-lookup.ts';
import type { RestoreDirectoryRequest, RestoredDirectory } from '../backup/restore-directory.ts';
import type { RestoreFileRequest } from '../backup/restore-file.ts';
import type { CheckedSnapshot } from '../backup/snapshot-check.ts';
import type { SnapshotRequest, SnapshotResult } from '../backup/snapshot-directory.ts';
import type { VersionFileFingerprint } from '../backup/version.ts';

/**
 * The backup engine's file-system work, as one port: a recording logs each
 * call and its result, and a replay answers the calls from the log instead of
 * touching the disk.
 */
export interface BackupFiles {
  copyVersion(request: CopyVersionRequest): Promise<CopyVersionResult>;
  /** Takes a snapshot of a source folder (a directory job's run). */
  snapshotDirectory(request: SnapshotRequest): Promise<SnapshotResult>;
  /** Verifies a snapshot: its manifest against the catalogued SHA-256, its tree against the manifest. */
  checkSnapshot(
    snapshotPath: string,
    expectedSha256: string,
    options?: { readonly signal?: AbortSignal; readonly verifiedBefore?: { readonly path: string; readonly sha256: string } },
  ): Promise<CheckedSnapshot>;
  /** Removes temp files and temp snapshot folders of runs a crash interrupted. */
  removeLeftoverTempFiles(directory: string): Promise<number>;
  /** Deletes a version once the catalog no longer lists it: its file, or its snapshot folder and manifest. */
  removeVersionFile(filePath: string): Promise<void>;
  versionFileIntact(filePath: string, size: number): Promise<boolean>;
  /** Non-temp names in a job's folder, sorted; none when it does not exist. */
  listVersionFiles(directory: string): Promise<string[]>;
  /** Reads a whole file and hashes it (verification, orphans); a missing or unreadable file is a result, not an error. */
  hashFile(filePath: string, options?: { readonly signal?: AbortSignal }): Promise<HashedFile>;
  /** One `stat`: the file's size, mtime and inode, or null when there is no regular file. */
  statVersionFile(filePath: string): Promise<VersionFileFingerprint | null>;
  /** Where a path a request named really leads (`..` and symlinks resolved), and whether something is there. */
  lookUpPath(requested: string): Promise<PathLookup>;
  /** Puts a version's bytes at a path atomically, checked against its SHA-256 before and after the write. */
  restoreFile(request: RestoreFileRequest): Promise<void>;
  /** Rebuilds a directory version beside a target, checked against its manifest, and swaps it in whole. */
  restoreDirectory(request: RestoreDirectoryRequest): Promise<RestoredDirectory>;
  /** Settles the temp folders a directory restore of `target` left when it was cut short; one line per thing done. */
  recoverDirectoryRestore(target: string): Promise<string[]>;
}

/** The names of the port's operations, for a recorder to wrap. */
export const BACKUP_FILES_OPS = [
  'copyVersion',
  'snapshotDirectory',
  'checkSnapshot',
  'removeLeftoverTempFiles',
  'removeVersionFile',
  'versionFileIntact',
  'listVersionFiles',
  'hashFile',
  'statVersionFile',
  'lookUpPath',
  'restoreFile',
  'restoreDirectory',
  'recoverDirectoryRestore',
] as const satisfies readonly (keyof BackupFiles)[];
