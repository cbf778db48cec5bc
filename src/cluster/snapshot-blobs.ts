import { readFile, rename, symlink, stat } from 'node:fs/promises';
import path from 'node:path';
import { VersionBlobMismatchError, VersionBlobMissingError, VersionStoreFailedError } from '../backup/errors.ts';
import { versionFileFingerprint } from '../backup/file-hash.ts';
import { decodeManifest, manifestPathOf, type SnapshotManifest } from '../backup/snapshot-manifest.ts';
import { fingerprintOf, type VersionFileFingerprint } from '../backup/version.ts';
import { tempFileName } from '../backup/version-name.ts';
import { fsyncDirectory } from '../fs/fsync-directory.ts';
import { makeDirectory } from '../fs/make-directory.ts';
import { removeTree } from '../fs/remove-tree.ts';
import type { ExpectedBlob } from '../ports/version-blobs.ts';
import { landBlob } from './blob-landing.ts';

/**
 * The plain objects a snapshot is stored as, whatever keeps them (the
 * JetStream object store, a test's Map): what `putSnapshot`,
 * `landSnapshot` and `deleteSnapshot` need of it.
 */
export interface BlobObjects {
  /** The hex SHA-256 of the object stored under `name`, or null when there is none. */
  sha256Of(name: string): Promise<string | null>;
  /** Stores a file under `name` (durably); resolves with the SHA-256 the store computed. */
  putFile(name: string, filePath: string): Promise<{ readonly sha256: string; readonly size: number }>;
  /** The object's bytes, chunk by chunk (null: there is none); the iteration fails if they are cut off. */
  chunksOf(name: string): Promise<AsyncIterable<Uint8Array> | null>;
  delete(name: string): Promise<void>;
}

/**
 * The object holding a snapshot file's bytes: content-addressed within the
 * job (`<jobId>/sha256/<hex>`), so a file unchanged between snapshots is
 * stored once however many snapshots hold it. `versionName` is the
 * snapshot's version id, `<jobId>@<seq>`.
 */
function snapshotContentName(versionName: string, sha256: string): string {
  const at = versionName.lastIndexOf('@');
  return `${at > 0 ? versionName.slice(0, at) : versionName}/sha256/${sha256}`;
}

/**
 * Stores a snapshot: each regular file its manifest lists (unless an object
 * with its SHA-256 is already there), then the manifest itself under
 * `versionName`, last, so a stored manifest always has all its files.
 * Resolves with the manifest's SHA-256 as the store computed it.
 */
export async function putSnapshot(objects: BlobObjects, versionName: string, snapshotPath: string): Promise<{ sha256: string; size: number }> {
  const manifest = decodeManifest(await readFile(manifestPathOf(snapshotPath)));
  if (!manifest) throw new VersionStoreFailedError(`The manifest of ${versionName} could not be read, so its snapshot was not stored`);
  for (const entry of manifest.entries) {
    if (entry.type !== 'file') continue;
    const name = snapshotContentName(versionName, entry.sha256);
    if ((await objects.sha256Of(name)) === entry.sha256) continue;
    const stored = await objects.putFile(name, path.join(snapshotPath, ...entry.path.split('/')));
    if (stored.sha256 !== entry.sha256) {
      throw new VersionStoreFailedError(`The object store hashed ${entry.path} of ${versionName} to ${stored.sha256}, not its manifest's ${entry.sha256} (was it changed?)`);
    }
  }
  return objects.putFile(versionName, manifestPathOf(snapshotPath));
}

/**
 * Brings a stored snapshot to `snapshotPath` (its tree) and
 * `manifestPathOf(snapshotPath)`, complete and verified or not at all: the
 * manifest is checked against `expected`, every file against the manifest,
 * all of it built in a temp folder beside the target and renamed into place
 * only once whole (what was at the target before is replaced). Resolves with
 * the landed manifest file's fingerprint.
 */
export async function landSnapshot(
  objects: BlobObjects,
  versionName: string,
  snapshotPath: string,
  expected: ExpectedBlob,
  tempId: string,
): Promise<{ sha256: string; size: number; file: VersionFileFingerprint }> {
  const directory = path.dirname(snapshotPath);
  await makeDirectory(directory, 0o700);
  const temp = path.join(directory, tempFileName(tempId));
  const tempManifest = path.join(temp, 'manifest');
  const tempTree = path.join(temp, 'tree');
  try {
    await makeDirectory(tempTree, 0o700);
    const manifestChunks = await objects.chunksOf(versionName);
    if (!manifestChunks) throw new VersionBlobMissingError(`The object store holds no manifest for ${versionName}`);
    const landed = await landBlob(manifestChunks, tempManifest, expected, `${tempId}-manifest`);
    const manifest = decodeManifest(await readFile(tempManifest));
    if (!manifest) throw new VersionBlobMismatchError(`The stored manifest of ${versionName} hashes right but is not a manifest`);
    await landTree(objects, versionName, manifest, tempTree, tempId);
    await removeTree(snapshotPath);
    await removeTree(manifestPathOf(snapshotPath));
    await rename(tempTree, snapshotPath);
    await rename(tempManifest, manifestPathOf(snapshotPath));
    await fsyncDirectory(directory);
    await removeTree(temp);
    return { sha256: landed.sha256, size: landed.size, file: versionFileFingerprint(fingerprintOf(await stat(manifestPathOf(snapshotPath), { bigint: true }))) };
  } catch (error) {
    await removeTree(temp).catch(() => undefined);
    throw error;
  }
}

async function landTree(objects: BlobObjects, versionName: string, manifest: SnapshotManifest, root: string, tempId: string): Promise<void> {
  let count = 0;
  // Parents come before their children in a manifest.
  for (const entry of manifest.entries) {
    const target = path.join(root, ...entry.path.split('/'));
    if (entry.type === 'directory') {
      await makeDirectory(target, 0o700);
    } else if (entry.type === 'symlink') {
      await symlink(entry.target, target);
    } else {
      const name = snapshotContentName(versionName, entry.sha256);
      const chunks = await objects.chunksOf(name);
      if (!chunks) throw new VersionBlobMissingError(`The object store holds no bytes for ${entry.path} of ${versionName}`);
      await landBlob(chunks, target, { sha256: entry.sha256, size: entry.size }, `${tempId}-${++count}`);
    }
  }
}

/**
 * Removes a stored snapshot: its manifest, and each of its files that no
 * snapshot in `keep` (the job's other snapshots still catalogued) also
 * holds. The files go first: a manifest left by a failure part-way is
 * removed on the next try.
 */
export async function deleteSnapshot(objects: BlobObjects, versionName: string, keep: readonly string[]): Promise<void> {
  const removed = await readStoredManifest(objects, versionName);
  if (removed) {
    const held = new Set<string>();
    for (const other of keep) {
      const manifest = await readStoredManifest(objects, other);
      for (const entry of manifest?.entries ?? []) if (entry.type === 'file') held.add(entry.sha256);
    }
    const unheld = new Set(removed.entries.flatMap((entry) => (entry.type === 'file' && !held.has(entry.sha256) ? [entry.sha256] : [])));
    for (const sha256 of unheld) await objects.delete(snapshotContentName(versionName, sha256));
  }
  await objects.delete(versionName);
}

async function readStoredManifest(objects: BlobObjects, name: string): Promise<SnapshotManifest | null> {
  const chunks = await objects.chunksOf(name);
  if (!chunks) return null;
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return decodeManifest(Buffer.concat(parts));
}
