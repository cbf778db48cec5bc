import { excludeMatcher } from './snapshot-excludes.ts';
import { walkSource } from './snapshot-source.ts';

/** What a job's snapshots leave out of its source, as a snapshot request names it. */
export interface SnapshotLeavesOut {
  /** The job's `--exclude` globs. */
  readonly excludes: readonly string[];
  /** safekeep's own folders inside the source, relative to it, `/`-separated. */
  readonly ownFolders: readonly string[];
}

/**
 * Counts the entries of a source tree that no snapshot of it holds: those its
 * excludes or safekeep's own folders leave out (an excluded folder counts once),
 * and the sockets, fifos and devices a snapshot skips. Replacing the tree whole
 * with a snapshot would delete each of them, and no version could bring them back.
 */
export async function countUnsnapshottedEntries(root: string, leftOut: SnapshotLeavesOut): Promise<number> {
  const userExcluded = excludeMatcher(leftOut.excludes);
  const own = new Set(leftOut.ownFolders);
  let excluded = 0;
  const tree = await walkSource(root, (relative, isDirectory) => {
    const out = own.has(relative) || userExcluded(relative, isDirectory);
    if (out) excluded += 1;
    return out;
  });
  return excluded + tree.skipped.length;
}
