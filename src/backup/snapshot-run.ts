import path from 'node:path';
import type { BackupFiles } from '../ports/backup-files.ts';
import type { BackupJob } from './job.ts';
import type { BackupVersion } from './version.ts';
import { versionFileName } from './version-name.ts';

/** What `copyVersion`'s SOURCE_NOT_A_FILE turns into when the source may be a folder: the run takes a snapshot instead. */
export const IS_A_DIRECTORY = Symbol('source is not a regular file');

/**
 * A source that is not a regular file may be a folder: the run then takes a
 * snapshot, which says SOURCE_NOT_A_FILE itself if it is not one either.
 */
export function asDirectorySource(error: unknown): typeof IS_A_DIRECTORY {
  if (typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'SOURCE_NOT_A_FILE') return IS_A_DIRECTORY;
  throw error;
}

/**
 * One run of a directory job: a snapshot of its source folder, linked
 * against the newest snapshot. The version it returns is not registered yet.
 */
export async function takeSnapshot(input: {
  readonly files: BackupFiles;
  readonly job: BackupJob;
  /** The job's newest version whose files still look as registered. */
  readonly newest: BackupVersion | null;
  readonly seq: number;
  readonly startedAt: number;
  readonly tempId: string;
  readonly destinationDir: string;
  /** safekeep's own folders (data, backups): left out of a source that holds them, or every snapshot would hold the ones before it. */
  readonly ownFolders: readonly string[];
  readonly signal?: AbortSignal | undefined;
}): Promise<{ readonly kind: 'unchanged'; readonly version: BackupVersion } | { readonly kind: 'copied'; readonly version: BackupVersion }> {
  const { job, newest, seq } = input;
  const previous = newest?.kind === 'directory' ? newest : null;
  const ownFolders = ownFoldersWithin(job.sourcePath, input.ownFolders);
  const result = await input.files.snapshotDirectory({
    sourcePath: job.sourcePath,
    destinationDir: input.destinationDir,
    snapshotName: versionFileName(job.sourcePath, input.startedAt, seq),
    tempId: input.tempId,
    excludes: job.excludes ?? [],
    ...(ownFolders.length > 0 ? { ownFolders } : {}),
    previous: previous ? { path: previous.path, sha256: previous.sha256 } : null,
    ...(input.signal ? { signal: input.signal } : {}),
  });
  if (result.kind === 'unchanged') {
    if (!previous) throw new Error('A snapshot with nothing before it cannot be unchanged');
    return { kind: 'unchanged', version: previous };
  }
  return {
    kind: 'copied',
    version: {
      id: `${job.id}@${seq}`,
      jobId: job.id,
      seq,
      path: result.path,
      size: result.size,
      sha256: result.sha256,
      kind: 'directory',
      fileCount: result.fileCount,
      ...(result.skipped.length > 0 ? { skippedCount: result.skipped.length } : {}),
      createdAt: input.startedAt,
      source: result.source,
      file: result.file,
    },
  };
}

/** Those of safekeep's own folders that lie inside `root`, relative to it and `/`-separated, as a snapshot request names them. */
export function ownFoldersWithin(root: string, folders: readonly string[]): string[] {
  return folders
    .map((folder) => path.relative(root, folder))
    .filter((relative) => relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative))
    .map((relative) => relative.split(path.sep).join('/'));
}
