import type { CopyVersionRequest, CopyVersionResult } from '../backup/copy-version.ts';
import type { HashedFile } from '../backup/file-hash.ts';
import type { VersionFileFingerprint } from '../backup/version.ts';

/**
 * The backup engine's file-system work, as one port: a recording logs each
 * call and its result, and a replay answers the calls from the log instead of
 * touching the disk.
 */
export interface BackupFiles {
  copyVersion(request: CopyVersionRequest): Promise<CopyVersionResult>;
  removeLeftoverTempFiles(directory: string): Promise<number>;
  removeVersionFile(filePath: string): Promise<void>;
  versionFileIntact(filePath: string, size: number): Promise<boolean>;
  /** Non-temp names in a job's folder, sorted; none when it does not exist. */
  listVersionFiles(directory: string): Promise<string[]>;
  /** Reads a whole file and hashes it (verification, orphans); a missing or unreadable file is a result, not an error. */
  hashFile(filePath: string, options?: { readonly signal?: AbortSignal }): Promise<HashedFile>;
  /** One `stat`: the file's size, mtime and inode, or null when there is no regular file. */
  statVersionFile(filePath: string): Promise<VersionFileFingerprint | null>;
}

/** The names of the port's operations, for a recorder to wrap. */
export const BACKUP_FILES_OPS = [
  'copyVersion',
  'removeLeftoverTempFiles',
  'removeVersionFile',
  'versionFileIntact',
  'listVersionFiles',
  'hashFile',
  'statVersionFile',
] as const satisfies readonly (keyof BackupFiles)[];
