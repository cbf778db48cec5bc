import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';

/** A snapshot's manifest sits beside its tree, never inside it, so the tree holds only what the source held. */
export const MANIFEST_SUFFIX = '.manifest.json.gz';

/** Where the manifest of the snapshot tree at `snapshotPath` lives. */
export function manifestPathOf(snapshotPath: string): string {
  return `${snapshotPath}${MANIFEST_SUFFIX}`;
}

/**
 * What identifies a source file's state without reading it (as for file
 * jobs, plus its mode): when all of it matches the previous snapshot's entry,
 * the file is linked from there without being read.
 */
export interface EntryFingerprint {
  readonly mtimeNs: string;
  readonly ctimeNs: string;
  readonly ino: string;
  readonly dev: string;
}

interface EntryBase {
  /** Relative to the snapshot root, `/`-separated, never empty, never `..`. */
  readonly path: string;
  /** Permission bits (`mode & 0o7777`). */
  readonly mode: number;
  readonly mtimeNs: string;
}

export interface FileEntry extends EntryBase {
  readonly type: 'file';
  readonly size: number;
  readonly sha256: string;
  /** The source file as it was read, for the next run's no-read check. */
  readonly source: EntryFingerprint;
}

export interface DirectoryEntry extends EntryBase {
  readonly type: 'directory';
}

export interface SymlinkEntry extends EntryBase {
  readonly type: 'symlink';
  /** The link's text, as `readlink` gives it: never followed. */
  readonly target: string;
}

export type ManifestEntry = FileEntry | DirectoryEntry | SymlinkEntry;

/** A source entry left out because it is not a file, folder or link (socket, fifo, device). */
export interface SkippedEntry {
  readonly path: string;
  readonly kind: 'socket' | 'fifo' | 'block-device' | 'character-device' | 'unknown';
}

export interface SnapshotManifest {
  readonly format: 1;
  /** The source root it was taken from. */
  readonly sourcePath: string;
  readonly excludes: readonly string[];
  /** The source root folder's own mode and mtime, which the snapshot folder gets. */
  readonly root: { readonly mode: number; readonly mtimeNs: string };
  /** Parents before children; sorted by path. */
  readonly entries: readonly ManifestEntry[];
  readonly skipped: readonly SkippedEntry[];
}

/**
 * The manifest as stored: gzip of its JSON. 10,000 entries are ~2 MB of
 * JSON but ~0.4 MB gzipped (the SHA-256s are most of what is left), which
 * is what every new snapshot writes besides its changed files.
 */
export function encodeManifest(manifest: SnapshotManifest): { readonly bytes: Buffer; readonly sha256: string } {
  const bytes = gzipSync(JSON.stringify(manifest), { level: 6 });
  return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** The manifest in `bytes`, or null when they are not one (damaged, or not ours). */
export function decodeManifest(bytes: Buffer): SnapshotManifest | null {
  let value: unknown;
  try {
    value = JSON.parse(gunzipSync(bytes).toString('utf8'));
  } catch {
    return null;
  }
  return isManifest(value) ? value : null;
}

// The manifest is checked against the catalog's SHA-256 before it is trusted; this only keeps a hand-made one from crashing a run.
function isManifest(value: unknown): value is SnapshotManifest {
  const manifest = value as Partial<SnapshotManifest> | null;
  return (
    typeof manifest === 'object' &&
    manifest !== null &&
    manifest.format === 1 &&
    typeof manifest.root?.mode === 'number' &&
    typeof manifest.root.mtimeNs === 'string' &&
    Array.isArray(manifest.excludes) &&
    Array.isArray(manifest.entries) &&
    Array.isArray(manifest.skipped) &&
    manifest.entries.every(isEntry)
  );
}

function isEntry(value: unknown): value is ManifestEntry {
  const entry = value as { [key in keyof FileEntry | keyof SymlinkEntry]?: unknown } | null;
  if (typeof entry !== 'object' || entry === null || !isSafeRelativePath(entry.path) || typeof entry.mode !== 'number' || typeof entry.mtimeNs !== 'string') return false;
  switch (entry.type as string) {
    case 'file':
      return typeof entry.size === 'number' && typeof entry.sha256 === 'string' && typeof entry.source === 'object';
    case 'symlink':
      return typeof entry.target === 'string';
    case 'directory':
      return true;
    default:
      return false;
  }
}

/** A relative path that stays inside the root it is joined to: restore and verify join manifest paths to real folders. */
export function isSafeRelativePath(value: unknown): value is string {
  if (typeof value !== 'string' || value === '' || value.includes('\0') || value.startsWith('/')) return false;
  return value.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}
