import type { CopyVersionRequest, CopyVersionResult } from '../backup/copy-version.ts';

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
}
