import type { BackupFiles } from '../ports/backup-files.ts';
import { copyVersion } from './copy-version.ts';
import { hashFile, statVersionFile } from './file-hash.ts';
import { lookUpPath } from './path-lookup.ts';
import { recoverDirectoryRestore, restoreDirectory } from './restore-directory.ts';
import { restoreFile } from './restore-file.ts';
import { checkSnapshot } from './snapshot-check.ts';
import { snapshotDirectory } from './snapshot-directory.ts';
import { listVersionFiles, removeLeftoverTempFiles, removeVersionFile, versionFileIntact } from './version-files.ts';

/** The backup engine's file work on the local disk. */
export const localBackupFiles: BackupFiles = {
  copyVersion,
  snapshotDirectory: (request) => snapshotDirectory(request),
  checkSnapshot,
  removeLeftoverTempFiles,
  removeVersionFile,
  versionFileIntact,
  listVersionFiles,
  hashFile,
  statVersionFile,
  lookUpPath,
  restoreFile,
  restoreDirectory: (request) => restoreDirectory(request.version, request.target, { tempId: request.tempId, replace: request.replace, ...(request.leftOut ? { leftOut: request.leftOut } : {}) }),
  recoverDirectoryRestore,
};
