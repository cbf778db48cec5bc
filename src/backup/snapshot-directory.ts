import { createHash } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, utimesSync } from 'node:fs';
import { chmod, link, lstat, lutimes, mkdir, open, readFile, rename, stat, symlink, unlink, utimes } from 'node:fs/promises';
import path from 'node:path';
import { systemErrorCode } from '../errors/safekeep-error.ts';
import { fsyncDirectory } from '../fs/fsync-directory.ts';
import { makeDirectory } from '../fs/make-directory.ts';
import { removeTree } from '../fs/remove-tree.ts';
import { CopyAbortedError, DestinationNotWritableError, SourceNotAFileError, SourceNotFoundError } from './errors.ts';
import { statVersionFile } from './file-hash.ts';
import { copySnapshotFile, entryFingerprint, type AfterReadHook } from './snapshot-file-copy.ts';
import { translateDestinationError as destinationError, translateSourceError as sourceError } from './copy-errors.ts';
import { excludeMatcher } from './snapshot-excludes.ts';
import { decodeManifest, encodeManifest, manifestPathOf, type FileEntry, type ManifestEntry, type SnapshotManifest } from './snapshot-manifest.ts';
import { walkSource, type SourceEntry, type SourceTree } from './snapshot-source.ts';
import { fingerprintOf, type SourceFingerprint, type VersionFileFingerprint } from './version.ts';
import { tempFileName } from './version-name.ts';

/** Files copied at once: small files cost a dozen file-system calls each, and enough of them in flight keep the thread pool and the disk busy; few enough to leave descriptors spare. */
const PARALLEL_FILES = 16;
const CHUNK_BYTES = 1024 * 1024;

export interface SnapshotRequest {
  readonly sourcePath: string;
  readonly destinationDir: string;
  /** Final name of the snapshot folder inside `destinationDir`; must not exist yet. */
  readonly snapshotName: string;
  /** Unique id for the temp folder, from the host's id source. */
  readonly tempId: string;
  /** Globs left out, relative to the source root (see `excludeMatcher`). */
  readonly excludes: readonly string[];
  /** safekeep's own folders inside the source (its data and backups), relative to the source root: never part of a snapshot. */
  readonly ownFolders?: readonly string[];
  /** The job's newest registered snapshot: its folder and the catalogued SHA-256 of its manifest. */
  readonly previous: { readonly path: string; readonly sha256: string } | null;
  readonly signal?: AbortSignal;
}

export type SnapshotResult =
  /** The tree is what the previous snapshot holds: nothing was written. */
  | { readonly kind: 'unchanged' }
  | {
      readonly kind: 'copied';
      /** The snapshot folder; its manifest is at `manifestPathOf(path)`. */
      readonly path: string;
      /** Bytes of the regular files in the tree. */
      readonly size: number;
      readonly fileCount: number;
      /** SHA-256 of the manifest file. */
      readonly sha256: string;
      /** The manifest file as it landed, for `revert`'s cheap check. */
      readonly file: VersionFileFingerprint;
      /** The source root's fingerprint. */
      readonly source: SourceFingerprint;
      /** Sockets, fifos and devices left out. */
      readonly skipped: readonly string[];
      /** Files whose bytes were written (the rest were linked from the previous snapshot). */
      readonly filesCopied: number;
      readonly bytesCopied: number;
    };

/** Test windows into a snapshot (never part of a recorded request). */
export interface SnapshotHooks {
  readonly afterRead?: AfterReadHook;
}

/**
 * Takes a snapshot of a source folder: a plain tree beside the job's other
 * versions, and its manifest beside it. Complete or nothing: the tree is
 * built in a temp folder of the job's folder (named like a partial copy, so
 * a start after a crash removes it), every file and folder fsynced, the
 * manifest written and fsynced, then both renamed into place and the job's
 * folder fsynced. Only then may the caller register it.
 *
 * Unchanged files cost no bytes: a file whose size, mtime, ctime, inode,
 * device and mode match the previous snapshot's manifest is hard-linked from
 * that snapshot without being read, and one whose bytes hash the same is
 * linked too. When the whole tree matches, nothing is written.
 *
 * @example
 * const result = await snapshotDirectory({ sourcePath: '/home/me/site', destinationDir: '/backups/site',
 *   snapshotName: 'site.1', tempId: 'a1', excludes: ['*.log'], previous: null });
 * if (result.kind === 'copied') console.log(`${result.fileCount} files in ${result.path}`);
 */
export async function snapshotDirectory(request: SnapshotRequest, hooks: SnapshotHooks = {}): Promise<SnapshotResult> {
  const { sourcePath, destinationDir } = request;
  const rootStats = await stat(sourcePath, { bigint: true }).catch((error: unknown) => {
    throw sourceError(error, sourcePath);
  });
  if (!rootStats.isDirectory()) throw new SourceNotAFileError(`${sourcePath} is neither a regular file nor a folder`);
  const userExcluded = excludeMatcher(request.excludes);
  const own = new Set(request.ownFolders ?? []);
  const excluded = (relative: string, isDirectory: boolean) => own.has(relative) || userExcluded(relative, isDirectory);
  const tree = await walkSource(sourcePath, excluded).catch((error: unknown) => {
    throw sourceError(error, sourcePath);
  });
  const previous = request.previous ? await readPreviousManifest(request.previous.path, request.previous.sha256) : null;
  if (previous && request.previous && treeMatches(tree, previous.manifest, request.excludes)) return { kind: 'unchanged' };

  await makeDestination(destinationDir);
  const tempPath = path.join(destinationDir, tempFileName(request.tempId));
  const tempManifest = manifestPathOf(tempPath);
  try {
    const built = await buildTree({ request, tree, tempPath, previous: previous && request.previous ? { ...previous, path: request.previous.path } : null, hooks });
    const manifest: SnapshotManifest = {
      format: 1,
      sourcePath,
      excludes: request.excludes,
      root: { mode: Number(tree.root.mode & 0o7777n), mtimeNs: tree.root.mtimeNs.toString() },
      entries: built.entries,
      skipped: tree.skipped,
    };
    if (previous && sameContent(manifest, previous.manifest)) {
      await removeTree(tempPath);
      return { kind: 'unchanged' };
    }
    const encoded = encodeManifest(manifest);
    await writeSynced(tempManifest, encoded.bytes);
    const finalPath = path.join(destinationDir, request.snapshotName);
    await renameIntoPlace(tempPath, finalPath, tempManifest);
    const file = (await statVersionFile(manifestPathOf(finalPath))) ?? { size: encoded.bytes.length, mtimeNs: '0', ino: '0' };
    const files = built.entries.filter((entry): entry is FileEntry => entry.type === 'file');
    return {
      kind: 'copied',
      path: finalPath,
      size: files.reduce((sum, entry) => sum + entry.size, 0),
      fileCount: files.length,
      sha256: encoded.sha256,
      file,
      source: fingerprintOf(rootStats),
      skipped: tree.skipped.map((entry) => entry.path),
      filesCopied: built.filesCopied,
      bytesCopied: built.bytesCopied,
    };
  } catch (error) {
    await removeTree(tempPath).catch(() => undefined);
    await unlink(tempManifest).catch(() => undefined);
    throw destinationError(error, destinationDir);
  }
}

interface PreviousSnapshot {
  readonly manifest: SnapshotManifest;
  readonly byPath: ReadonlyMap<string, ManifestEntry>;
}

/** The previous snapshot's manifest, if it is the one the catalog registered; otherwise none (every file is read). */
async function readPreviousManifest(snapshotPath: string, sha256: string): Promise<PreviousSnapshot | null> {
  const bytes = await readFile(manifestPathOf(snapshotPath)).catch(() => null);
  if (!bytes || encodeSha256(bytes) !== sha256) return null;
  const manifest = decodeManifest(bytes);
  if (!manifest) return null;
  return { manifest, byPath: new Map(manifest.entries.map((entry) => [entry.path, entry])) };
}

function encodeSha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Whether every entry the walk found is, by its `lstat` alone, what the previous manifest holds: then nothing need be read or written. */
function treeMatches(tree: SourceTree, manifest: SnapshotManifest, excludes: readonly string[]): boolean {
  if (tree.entries.length !== manifest.entries.length || tree.skipped.length !== manifest.skipped.length) return false;
  if (JSON.stringify(excludes) !== JSON.stringify(manifest.excludes)) return false;
  if (Number(tree.root.mode & 0o7777n) !== manifest.root.mode || tree.root.mtimeNs.toString() !== manifest.root.mtimeNs) return false;
  return tree.entries.every((entry, index) => entryMatches(entry, manifest.entries[index]));
}

function entryMatches(entry: SourceEntry, recorded: ManifestEntry | undefined): boolean {
  if (!recorded || recorded.path !== entry.path || recorded.type !== entry.type) return false;
  if (recorded.mode !== Number(entry.stats.mode & 0o7777n) || recorded.mtimeNs !== entry.stats.mtimeNs.toString()) return false;
  if (recorded.type === 'symlink') return entry.type === 'symlink' && recorded.target === entry.target;
  if (recorded.type === 'file') return recorded.size === Number(entry.stats.size) && sameSource(recorded, entry);
  return true;
}

function sameSource(recorded: FileEntry, entry: SourceEntry): boolean {
  const now = entryFingerprint(entry.stats);
  return recorded.source.mtimeNs === now.mtimeNs && recorded.source.ctimeNs === now.ctimeNs && recorded.source.ino === now.ino && recorded.source.dev === now.dev;
}

/** Same tree, same bytes, modes and times: only the source fingerprints differ (a file touched back, a copy put in place). */
function sameContent(a: SnapshotManifest, b: SnapshotManifest): boolean {
  const strip = (manifest: SnapshotManifest) =>
    JSON.stringify({ ...manifest, entries: manifest.entries.map((entry) => (entry.type === 'file' ? { ...entry, source: null } : entry)) });
  return strip(a) === strip(b);
}

async function buildTree(input: {
  readonly request: SnapshotRequest;
  readonly tree: SourceTree;
  readonly tempPath: string;
  readonly previous: (PreviousSnapshot & { readonly path: string }) | null;
  readonly hooks: SnapshotHooks;
}): Promise<{ entries: ManifestEntry[]; filesCopied: number; bytesCopied: number }> {
  const { request, tree, tempPath, previous } = input;
  const { signal } = request;
  await mkdir(tempPath, { mode: 0o700 }).catch((error: unknown) => {
    throw destinationError(error, request.destinationDir);
  });
  const entries = new Array<ManifestEntry>(tree.entries.length);
  const directories: { readonly index: number; readonly target: string }[] = [];
  // Folders first, parents before children (the walk's order), writable while they fill; their modes are set last.
  for (const [index, entry] of tree.entries.entries()) {
    if (entry.type !== 'directory') continue;
    const target = path.join(tempPath, entry.path);
    mkdirSync(target, { mode: 0o700 });
    entries[index] = { type: 'directory', path: entry.path, mode: Number(entry.stats.mode & 0o7777n), mtimeNs: entry.stats.mtimeNs.toString() };
    directories.push({ index, target });
  }
  let filesCopied = 0;
  let bytesCopied = 0;
  // Unchanged files first, linked from the previous snapshot without being read.
  const work: { readonly entry: SourceEntry; readonly index: number }[] = [];
  let sinceYield = 0;
  for (const [index, entry] of tree.entries.entries()) {
    if (entry.type === 'directory') continue;
    const recorded = previous?.byPath.get(entry.path);
    if (entry.type === 'file' && recorded?.type === 'file' && unchangedSince(recorded, entry) && linkUnchanged(previous as { path: string }, recorded, path.join(tempPath, entry.path))) {
      entries[index] = recorded;
      // Links are made synchronously (a tenth of the cost of a promise each); the event loop gets a turn every few hundred.
      if (++sinceYield % 256 === 0) await new Promise((resolve) => setImmediate(resolve));
      continue;
    }
    work.push({ entry, index });
  }
  let next = 0;
  // The first failure stops every worker before the tree is removed, so none writes into a folder being deleted.
  let failure: { readonly error: unknown } | null = null;
  const worker = async () => {
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    for (;;) {
      if (failure) return;
      if (signal?.aborted) throw new CopyAbortedError('The snapshot was stopped before it finished');
      const item = work[next++];
      if (!item) return;
      const { entry, index } = item;
      const target = path.join(tempPath, entry.path);
      if (entry.type === 'symlink') {
        await symlink(entry.target, target);
        // A link's own time; its mode is not settable on Linux.
        await lutimes(target, Number(entry.stats.atimeNs / 1000n) / 1e6, Number(entry.stats.mtimeNs / 1000n) / 1e6).catch(() => undefined);
        entries[index] = { type: 'symlink', path: entry.path, mode: Number(entry.stats.mode & 0o7777n), mtimeNs: entry.stats.mtimeNs.toString(), target: entry.target };
        continue;
      }
      const recorded = previous?.byPath.get(entry.path);
      const copied = await copySnapshotFile({
        sourcePath: path.join(request.sourcePath, entry.path),
        relativePath: entry.path,
        targetPath: target,
        buffer,
        signal,
        afterRead: input.hooks.afterRead,
      }).catch((error: unknown) => {
        // Deleted since the walk: not part of this snapshot, as if the walk had come a moment later.
        if (error instanceof SourceNotFoundError) return null;
        throw error;
      });
      if (copied === null) continue;
      const fresh: FileEntry = { type: 'file', path: entry.path, mode: copied.mode, mtimeNs: copied.mtimeNs, size: copied.size, sha256: copied.sha256, source: copied.source };
      // Same bytes, mode and time as before: share the previous file instead of keeping a second copy.
      if (recorded?.type === 'file' && recorded.sha256 === fresh.sha256 && recorded.size === fresh.size && recorded.mode === fresh.mode && recorded.mtimeNs === fresh.mtimeNs) {
        if (await linkFromPrevious(previous as { path: string }, recorded, target, `${tempPath}.link-${index}`)) {
          entries[index] = fresh;
          continue;
        }
      }
      entries[index] = fresh;
      filesCopied++;
      bytesCopied += fresh.size;
    }
  };
  await Promise.all(
    Array.from({ length: PARALLEL_FILES }, () =>
      worker().catch((error: unknown) => {
        failure ??= { error };
      }),
    ),
  );
  if (failure) throw (failure as { readonly error: unknown }).error;
  await settleDirectories(tempPath, tree, directories);
  // Holes are files deleted since the walk.
  return { entries: entries.filter((entry) => entry !== undefined), filesCopied, bytesCopied };
}

/**
 * Replaces a fresh copy with a hard link to the previous snapshot's file, if
 * that still looks as recorded; false when it cannot (the copy is kept). The
 * link is made at `linkPath`, beside the temp tree (so no name in the tree can
 * clash with it, and a crash leaves it to the leftover cleanup), then renamed
 * over the copy, so the file is there all along.
 */
async function linkFromPrevious(previous: { readonly path: string }, recorded: FileEntry, target: string, linkPath: string): Promise<boolean> {
  const existing = path.join(previous.path, recorded.path);
  const stats = await lstat(existing).catch(() => null);
  if (!stats?.isFile() || stats.size !== recorded.size || (stats.mode & 0o7777) !== recorded.mode) return false;
  try {
    await link(existing, linkPath);
    await rename(linkPath, target);
    return true;
  } catch (error) {
    await unlink(linkPath).catch(() => undefined);
    // EMLINK: the file has as many links as the file system allows; a fresh copy starts a new chain.
    if (systemErrorCode(error) === 'EMLINK' || systemErrorCode(error) === 'ENOENT') return false;
    throw destinationError(error, path.dirname(target));
  }
}

/**
 * Gives every folder its source's mode and mtime and fsyncs it, once all
 * their entries are in (a folder's mtime moves only when entries are added
 * or removed, so the order among folders does not matter and they are done
 * side by side).
 */
/** Whether the source file is, by its `lstat` alone, the one the previous snapshot holds. */
function unchangedSince(recorded: FileEntry, entry: SourceEntry): boolean {
  return recorded.mode === Number(entry.stats.mode & 0o7777n) && recorded.mtimeNs === entry.stats.mtimeNs.toString() && recorded.size === Number(entry.stats.size) && sameSource(recorded, entry);
}

/**
 * Hard-links an unchanged file from the previous snapshot; false when that
 * file is gone or has all the links the file system allows (EMLINK), and the
 * file is then copied.
 */
function linkUnchanged(previous: { readonly path: string }, recorded: FileEntry, target: string): boolean {
  try {
    linkSync(path.join(previous.path, recorded.path), target);
    return true;
  } catch (error) {
    const code = systemErrorCode(error);
    if (code === 'EMLINK' || code === 'ENOENT') return false;
    throw destinationError(error, path.dirname(target));
  }
}

async function settleDirectories(tempPath: string, tree: SourceTree, directories: readonly { readonly index: number; readonly target: string }[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let item = directories[next++]; item; item = directories[next++]) {
      const entry = tree.entries[item.index] as SourceEntry;
      await fsyncDirectory(item.target);
      // Inode changes only, no data: cheaper done at once than through the thread pool.
      utimesSync(item.target, Number(entry.stats.atimeNs / 1000n) / 1e6, Number(entry.stats.mtimeNs / 1000n) / 1e6);
      chmodSync(item.target, Number(entry.stats.mode & 0o7777n));
    }
  };
  await Promise.all(Array.from({ length: PARALLEL_FILES }, worker));
  await fsyncDirectory(tempPath);
  await utimes(tempPath, Number(tree.root.atimeNs / 1000n) / 1e6, Number(tree.root.mtimeNs / 1000n) / 1e6);
  await chmod(tempPath, Number(tree.root.mode & 0o7777n));
}

async function writeSynced(filePath: string, bytes: Buffer): Promise<void> {
  const handle = await open(filePath, 'wx', 0o600);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Tree first, then its manifest: a crash between leaves a tree with no manifest, which the next start removes as an orphan. */
async function renameIntoPlace(tempPath: string, finalPath: string, tempManifest: string): Promise<void> {
  const directory = path.dirname(finalPath);
  const taken = await lstat(finalPath).then(
    () => true,
    (error: unknown) => {
      if (systemErrorCode(error) === 'ENOENT') return false;
      throw error;
    },
  );
  if (taken) throw new DestinationNotWritableError(`${finalPath} already exists; refusing to replace it`);
  try {
    await fsyncDirectory(directory);
    await rename(tempPath, finalPath);
  } catch (error) {
    throw destinationError(error, directory);
  }
  try {
    await rename(tempManifest, manifestPathOf(finalPath));
    await fsyncDirectory(directory);
  } catch (error) {
    await removeTree(finalPath).catch(() => undefined);
    throw destinationError(error, directory);
  }
}

async function makeDestination(directory: string): Promise<void> {
  try {
    await makeDirectory(directory, 0o700);
    await fsyncDirectory(path.dirname(directory));
  } catch (error) {
    throw destinationError(error, directory);
  }
}
