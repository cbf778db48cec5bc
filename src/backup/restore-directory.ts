import { createHash } from 'node:crypto';
import { chmod, lstat, mkdir, open, readdir, readFile, rename, symlink, utimes, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { systemErrorCode } from '../errors/safekeep-error.ts';
import { copyAndHash } from '../fs/copy-and-hash.ts';
import { fsyncDirectory } from '../fs/fsync-directory.ts';
import { removeTree } from '../fs/remove-tree.ts';
import { DestinationNotWritableError, RestoreWouldDeleteError, SnapshotDamagedError, TargetExistsError } from './errors.ts';
import { boundedTargetName } from './restore-temp-name.ts';
import { translateDestinationError as destinationError } from './copy-errors.ts';
import { decodeManifest, manifestPathOf, type FileEntry, type SnapshotManifest } from './snapshot-manifest.ts';
import { countUnsnapshottedEntries, type SnapshotLeavesOut } from './unsnapshotted-entries.ts';
import type { BackupVersion } from './version.ts';

const CHUNK_BYTES = 1024 * 1024;
const RESTORE_MARK = '.safekeep-restore-';

/** The temp folders a restore of `target` uses: the new tree while it is built, and the old one while it is swapped out. */
export function restoreTempPaths(target: string, tempId: string): { readonly incoming: string; readonly outgoing: string } {
  const stem = tempStemOf(target);
  return { incoming: path.join(path.dirname(target), `${stem}new-${tempId}`), outgoing: path.join(path.dirname(target), `${stem}old-${tempId}`) };
}

/** A directory restore, as the `BackupFiles` port takes it (plain data, so a recording can log it). */
export interface RestoreDirectoryRequest {
  readonly version: Pick<BackupVersion, 'path' | 'sha256' | 'kind'>;
  /** Absolute, already resolved (see `lookUpPath`). */
  readonly target: string;
  /** Unique id for the temp folders, from the host's id source. */
  readonly tempId: string;
  /** True: replace what is at `target` (the job's own source, already kept as a version). False: `target` must not exist, and nothing there is ever renamed aside or removed. */
  readonly replace: boolean;
  /** With `replace`: what the job's snapshots leave out of the target; while it holds any of that, the restore is refused (the swap would delete it). */
  readonly leftOut?: SnapshotLeavesOut;
}

export interface RestoredDirectory {
  readonly path: string;
  readonly fileCount: number;
  readonly size: number;
}

/**
 * Puts a directory version back at `target` (which may exist, and is
 * replaced whole). The tree is rebuilt in a temp folder beside the target,
 * every file copied from the snapshot and checked against the manifest's
 * SHA-256 as it is read (and the manifest against the catalog's), every file
 * and folder fsynced with its mode and mtime; then swapped in: the old tree
 * renamed aside, the new one renamed in, the parent fsynced, the old one
 * removed. Copies, not links: changing a restored file must never change a
 * backup.
 *
 * A crash part-way leaves the target as it was or as restored, or missing
 * with the old tree set aside, plus temp folders; `recoverDirectoryRestore(target)`
 * settles them. The host calls it at start for every directory job's source
 * and every target a restore recorded before it began (see `BackupService.load`).
 *
 * @example
 * await restoreDirectory(version, '/home/me/photos', { tempId: 'r1' });
 */
export async function restoreDirectory(
  version: Pick<BackupVersion, 'path' | 'sha256' | 'kind'>,
  target: string,
  options: { readonly tempId: string; readonly replace?: boolean; readonly leftOut?: SnapshotLeavesOut },
): Promise<RestoredDirectory> {
  if (version.kind !== 'directory') throw new SnapshotDamagedError('The version is not a snapshot');
  const manifest = await readVerifiedManifest(version.path, version.sha256);
  const replace = options.replace ?? true;
  if (replace && options.leftOut) await refuseToDeleteUnsnapshotted(target, options.leftOut);
  const { incoming, outgoing } = restoreTempPaths(target, options.tempId);
  try {
    await mkdir(incoming, { mode: 0o700 });
    await buildRestoredTree(version.path, incoming, manifest);
  } catch (error) {
    await removeTree(incoming).catch(() => undefined);
    throw destinationError(error, path.dirname(target));
  }
  if (replace) await swapIn(incoming, outgoing, target);
  else await moveInWithoutReplacing(incoming, target);
  const files = manifest.entries.filter((entry): entry is FileEntry => entry.type === 'file');
  return { path: target, fileCount: files.length, size: files.reduce((sum, entry) => sum + entry.size, 0) };
}

/**
 * Settles what a crash during `restoreDirectory` of `target` left: a half-built
 * new tree is removed; an old tree set aside is put back if the target is
 * missing (the swap was cut between its renames: the restore never
 * finished, so the tree stays as it was) or removed if the target is there
 * (the swap finished). Returns what it did, one line each.
 */
export async function recoverDirectoryRestore(target: string): Promise<string[]> {
  const parent = path.dirname(target);
  const stem = tempStemOf(target);
  const names = await readdir(parent).catch(() => [] as string[]);
  const done: string[] = [];
  for (const name of names.filter((entry) => entry.startsWith(`${stem}new-`))) {
    await removeTree(path.join(parent, name));
    done.push(`removed the unfinished restore ${name}`);
  }
  for (const name of names.filter((entry) => entry.startsWith(`${stem}old-`))) {
    const aside = path.join(parent, name);
    if (await exists(target)) {
      await removeTree(aside);
      done.push(`removed ${name}, which a finished restore replaced`);
    } else {
      await rename(aside, target);
      done.push(`put ${name} back at ${target}: its restore did not finish`);
    }
  }
  if (done.length > 0) await fsyncDirectory(parent);
  return done;
}

function tempStemOf(target: string): string {
  return `.${boundedTargetName(path.basename(target))}${RESTORE_MARK}`;
}

async function readVerifiedManifest(snapshotPath: string, sha256: string): Promise<SnapshotManifest> {
  const bytes = await readFile(manifestPathOf(snapshotPath)).catch((error: unknown) => {
    throw new SnapshotDamagedError(`The manifest of snapshot ${path.basename(snapshotPath)} cannot be read: ${systemErrorCode(error) ?? String(error)}`, { cause: error });
  });
  const actual = createHash('sha256').update(bytes).digest('hex');
  const manifest = actual === sha256 ? decodeManifest(bytes) : null;
  if (!manifest) throw new SnapshotDamagedError(`The manifest of snapshot ${path.basename(snapshotPath)} is not the one registered (SHA-256 ${actual}, not ${sha256})`);
  return manifest;
}

/** Folders first, then files, then links last, so no file is ever written through a link. */
async function buildRestoredTree(snapshotPath: string, incoming: string, manifest: SnapshotManifest): Promise<void> {
  for (const entry of manifest.entries) if (entry.type === 'directory') await mkdir(path.join(incoming, entry.path), { mode: 0o700 });
  const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  for (const entry of manifest.entries) if (entry.type === 'file') await restoreFile(path.join(snapshotPath, entry.path), path.join(incoming, entry.path), entry, buffer);
  for (const entry of manifest.entries) {
    if (entry.type !== 'symlink') continue;
    await symlink(entry.target, path.join(incoming, entry.path));
  }
  const folders = manifest.entries.filter((entry) => entry.type === 'directory').reverse();
  for (const entry of folders) {
    const folder = path.join(incoming, entry.path);
    await fsyncDirectory(folder);
    await setTimes(folder, entry.mtimeNs);
    await chmod(folder, entry.mode);
  }
  await fsyncDirectory(incoming);
  await setTimes(incoming, manifest.root.mtimeNs);
  await chmod(incoming, manifest.root.mode);
}

async function restoreFile(from: string, to: string, entry: FileEntry, buffer: Buffer): Promise<void> {
  let source: FileHandle;
  try {
    source = await open(from, 'r');
  } catch (error) {
    throw new SnapshotDamagedError(`${entry.path} cannot be read from the snapshot: ${systemErrorCode(error) ?? String(error)}`, { cause: error });
  }
  try {
    const target = await open(to, 'wx', 0o600);
    try {
      const { size, sha256 } = await copyAndHash(source, target, buffer);
      if (size !== entry.size || sha256 !== entry.sha256) {
        throw new SnapshotDamagedError(`${entry.path} in the snapshot reads as ${size} bytes with SHA-256 ${sha256}, not as registered`);
      }
      await target.chmod(entry.mode);
      await target.utimes(new Date(), nsToSeconds(entry.mtimeNs));
      await target.sync();
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}

async function swapIn(incoming: string, outgoing: string, target: string): Promise<void> {
  const parent = path.dirname(target);
  const hadTarget = await exists(target);
  try {
    if (hadTarget) await rename(target, outgoing);
    await rename(incoming, target);
    await fsyncDirectory(parent);
  } catch (error) {
    // Undo what can be undone: the target as it was, the new tree gone.
    if (hadTarget && !(await exists(target))) await rename(outgoing, target).catch(() => undefined);
    await removeTree(incoming).catch(() => undefined);
    if (systemErrorCode(error) === 'ENOTEMPTY' || systemErrorCode(error) === 'EEXIST') throw new DestinationNotWritableError(`${target} could not be replaced`, { cause: error });
    throw destinationError(error, parent);
  }
  await removeTree(outgoing);
  await fsyncDirectory(parent);
}

/** The whole tree is swapped, so anything in it that no snapshot holds would be deleted, with no version to bring it back. */
async function refuseToDeleteUnsnapshotted(target: string, leftOut: SnapshotLeavesOut): Promise<void> {
  if (!(await exists(target))) return;
  const count = await countUnsnapshottedEntries(target, leftOut);
  if (count === 0) return;
  throw new RestoreWouldDeleteError(
    `The source holds ${count} ${count === 1 ? 'entry' : 'entries'} no snapshot holds (excluded, a socket, fifo or device, or safekeep's own folder); restoring over it would delete ${count === 1 ? 'it' : 'them'}, so nothing was restored. Restore to another path instead`,
  );
}

/**
 * A restore to a new path: the built tree is renamed onto the target, which
 * fails if something appeared there meanwhile (a folder with anything in it,
 * or a file); that is then left untouched and the built tree removed.
 */
async function moveInWithoutReplacing(incoming: string, target: string): Promise<void> {
  const parent = path.dirname(target);
  try {
    await rename(incoming, target);
  } catch (error) {
    await removeTree(incoming).catch(() => undefined);
    const code = systemErrorCode(error);
    if (code === 'EEXIST' || code === 'ENOTEMPTY' || code === 'ENOTDIR' || code === 'EISDIR') {
      throw new TargetExistsError('Something appeared at the restore target meanwhile; nothing was overwritten', { cause: error });
    }
    throw destinationError(error, parent);
  }
  await fsyncDirectory(parent);
}

async function setTimes(target: string, mtimeNs: string): Promise<void> {
  await utimes(target, new Date(), nsToSeconds(mtimeNs));
}

function nsToSeconds(ns: string): number {
  return Number(BigInt(ns) / 1000n) / 1e6;
}

async function exists(target: string): Promise<boolean> {
  return lstat(target).then(
    () => true,
    () => false,
  );
}
