import { createHash } from 'node:crypto';
import { lstat, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import { systemErrorCode } from '../errors/safekeep-error.ts';
import { hashFile, versionFileFingerprint } from './file-hash.ts';
import { decodeManifest, manifestPathOf, type FileEntry } from './snapshot-manifest.ts';
import type { DamageReason, VersionFileFingerprint } from './version.ts';

/** What reading a whole snapshot gave. Plain data, so a recording can hold it and a replay hand it back. */
export type CheckedSnapshot =
  | {
      readonly kind: 'intact';
      /** The manifest file's current fingerprint (what `revert` compares with). */
      readonly file: VersionFileFingerprint;
      readonly bytesRead: number;
    }
  | {
      readonly kind: 'damaged';
      readonly reason: DamageReason;
      /** What the manifest hashes to, when it could be read. */
      readonly actualSha256: string | null;
      /** The first entry found wrong, relative to the snapshot root (null for the manifest itself). */
      readonly entry: string | null;
      readonly bytesRead: number;
    };

/**
 * Verifies a snapshot end to end: its manifest against the SHA-256 the
 * catalog holds, then every entry of the tree against the manifest (each
 * file's size and SHA-256, each link's target, each folder's presence).
 * Never throws for what it finds: a missing or unreadable part is a verdict.
 *
 * `verifiedBefore` names a snapshot this pass already found intact (the
 * job's previous one): a file that is the very same inode there, recorded
 * with the same SHA-256 in both manifests, was hashed then and is not read
 * again, so files shared by many snapshots are read once per pass.
 *
 * @example
 * const checked = await checkSnapshot(version.path, version.sha256);
 * if (checked.kind === 'damaged') console.log(`${checked.entry ?? 'manifest'}: ${checked.reason}`);
 */
export async function checkSnapshot(
  snapshotPath: string,
  expectedSha256: string,
  options: { readonly signal?: AbortSignal; readonly verifiedBefore?: { readonly path: string; readonly sha256: string } } = {},
): Promise<CheckedSnapshot> {
  const manifestPath = manifestPathOf(snapshotPath);
  let bytes: Buffer;
  try {
    bytes = await readFile(manifestPath);
  } catch (error) {
    return damaged(notReadReason(error), null, null, 0);
  }
  const actualSha256 = createHash('sha256').update(bytes).digest('hex');
  const manifest = actualSha256 === expectedSha256 ? decodeManifest(bytes) : null;
  if (!manifest) return damaged('content-mismatch', actualSha256, null, bytes.length);
  let bytesRead = bytes.length;
  const before = options.verifiedBefore ? await verifiedFiles(options.verifiedBefore) : null;
  const hashOptions = options.signal ? { signal: options.signal } : {};
  for (const entry of manifest.entries) {
    const target = path.join(snapshotPath, entry.path);
    if (entry.type === 'file') {
      if (before && (await sameVerifiedInode(before, entry, target))) continue;
      const hashed = await hashFile(target, hashOptions);
      if (hashed.kind !== 'hashed') return damaged(hashed.kind === 'missing' ? 'missing' : 'unreadable', actualSha256, entry.path, bytesRead);
      bytesRead += hashed.size;
      if (hashed.size !== entry.size || hashed.sha256 !== entry.sha256) return damaged('content-mismatch', actualSha256, entry.path, bytesRead);
      continue;
    }
    const stats = await lstat(target).catch(() => null);
    if (!stats) return damaged('missing', actualSha256, entry.path, bytesRead);
    if (entry.type === 'directory' && !stats.isDirectory()) return damaged('content-mismatch', actualSha256, entry.path, bytesRead);
    if (entry.type === 'symlink' && (!stats.isSymbolicLink() || (await readlink(target).catch(() => null)) !== entry.target)) {
      return damaged('content-mismatch', actualSha256, entry.path, bytesRead);
    }
  }
  const manifestStats = await lstat(manifestPath, { bigint: true }).catch(() => null);
  if (!manifestStats) return damaged('missing', actualSha256, null, bytesRead);
  return {
    kind: 'intact',
    file: versionFileFingerprint({ size: Number(manifestStats.size), mtimeNs: manifestStats.mtimeNs.toString(), ino: manifestStats.ino.toString() }),
    bytesRead,
  };
}

interface VerifiedSnapshot {
  readonly path: string;
  readonly files: ReadonlyMap<string, FileEntry>;
}

/** The files of a snapshot verified earlier in the pass, by path; null when its manifest is not the one named (then nothing is skipped). */
async function verifiedFiles(snapshot: { readonly path: string; readonly sha256: string }): Promise<VerifiedSnapshot | null> {
  const bytes = await readFile(manifestPathOf(snapshot.path)).catch(() => null);
  if (!bytes || createHash('sha256').update(bytes).digest('hex') !== snapshot.sha256) return null;
  const manifest = decodeManifest(bytes);
  if (!manifest) return null;
  return { path: snapshot.path, files: new Map(manifest.entries.filter((entry): entry is FileEntry => entry.type === 'file').map((entry) => [entry.path, entry])) };
}

async function sameVerifiedInode(before: VerifiedSnapshot, entry: FileEntry, target: string): Promise<boolean> {
  const earlier = before.files.get(entry.path);
  if (!earlier || earlier.sha256 !== entry.sha256 || earlier.size !== entry.size) return false;
  const [here, there] = await Promise.all([lstat(target, { bigint: true }).catch(() => null), lstat(path.join(before.path, entry.path), { bigint: true }).catch(() => null)]);
  return here !== null && there !== null && here.isFile() && here.ino === there.ino && here.dev === there.dev && here.size === BigInt(entry.size);
}

function damaged(reason: DamageReason, actualSha256: string | null, entry: string | null, bytesRead: number): CheckedSnapshot {
  return { kind: 'damaged', reason, actualSha256, entry, bytesRead };
}

function notReadReason(error: unknown): DamageReason {
  const code = systemErrorCode(error);
  return code === 'ENOENT' || code === 'ENOTDIR' ? 'missing' : 'unreadable';
}
