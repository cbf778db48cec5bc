import path from 'node:path';
import type { BackupFiles } from '../ports/backup-files.ts';
import { versionFileFingerprint, type HashedFile } from './file-hash.ts';
import type { BackupJob } from './job.ts';
import type { BackupVersion } from './version.ts';
import { parseVersionFileName } from './version-name.ts';

export interface OrphanSettlement {
  /** The orphan taken in as a version: not catalogued yet, the caller registers it. */
  readonly adopted: BackupVersion | null;
  /** Absolute paths of orphans deleted. */
  readonly removed: readonly string[];
}

/**
 * Deals with the version files in a job's folder that the catalog does not
 * list. One appears when the process dies between a copy's rename and its
 * catalog entry (or between a pruned version's catalog delete and its file's).
 * A copy is adopted only when it is provably the copy that was being
 * registered: its sequence is past every registered one and its bytes hash the
 * same as the source does now (read without changing underneath). Every other
 * orphan is deleted, as the interrupted run or prune would have left things.
 * Files whose names safekeep did not make are left alone.
 */
export async function settleOrphans(input: {
  readonly job: BackupJob;
  readonly directory: string;
  /** Every path the catalog lists for any version, damaged records included. */
  readonly registeredPaths: ReadonlySet<string>;
  /** The highest sequence registered for the job. */
  readonly lastSeq: number;
  readonly files: BackupFiles;
}): Promise<OrphanSettlement> {
  const { job, directory, files } = input;
  const orphans = (await files.listVersionFiles(directory))
    .map((name) => ({ filePath: path.join(directory, name), parsed: parseVersionFileName(job.sourcePath, name) }))
    .filter((orphan) => orphan.parsed !== null && !input.registeredPaths.has(orphan.filePath))
    // Newest first: only the newest can be the interrupted registration.
    .sort((a, b) => (b.parsed?.seq ?? 0) - (a.parsed?.seq ?? 0));

  let adopted: BackupVersion | null = null;
  let source: HashedFile | null = null;
  const removed: string[] = [];
  for (const { filePath, parsed } of orphans) {
    if (adopted === null && parsed && parsed.seq > input.lastSeq) {
      source ??= await files.hashFile(job.sourcePath);
      const copy = await files.hashFile(filePath);
      if (source.kind === 'hashed' && source.stable && copy.kind === 'hashed' && copy.stable && copy.sha256 === source.sha256 && copy.size === source.size) {
        adopted = {
          id: `${job.id}@${parsed.seq}`,
          jobId: job.id,
          seq: parsed.seq,
          path: filePath,
          size: copy.size,
          sha256: copy.sha256,
          createdAt: parsed.createdAt,
          source: source.fingerprint,
          file: versionFileFingerprint(copy.fingerprint),
        };
        continue;
      }
    }
    await files.removeVersionFile(filePath);
    removed.push(filePath);
  }
  return { adopted, removed };
}
