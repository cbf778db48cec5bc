import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { readTextIfPresent } from '../../src/fs/read-text-if-present.ts';
import { writeFileDurably } from '../../src/fs/write-file-durably.ts';
import type { IdSource } from '../../src/ids/ids.ts';
import { StoreCorruptError } from '../../src/store/errors.ts';
import type { ShardFingerprint } from './shard-file.ts';

export const MANIFEST_FILE = 'collection.json';
export const INDEX_FILE = 'index.json';

/**
 * `collection.json`. Version 2: shards only (before the write-ahead log).
 * Version 3: shards as checkpoints of the log, and a key index.
 */
export interface Manifest {
  readonly format: 'safekeep.collection';
  readonly version: 2 | 3;
  readonly shards: number;
}

export const CURRENT_MANIFEST_VERSION = 3;

/** The manifest, or null when there is none; one that is not a safekeep manifest is StoreCorruptError. */
export async function readManifest(dir: string, name: string): Promise<Manifest | null> {
  const filePath = path.join(dir, MANIFEST_FILE);
  const text = await readTextIfPresent(filePath);
  if (text === null) return null;
  let manifest: Partial<Manifest> | null = null;
  try {
    manifest = JSON.parse(text) as Partial<Manifest>;
  } catch {
    // reported below
  }
  const shards = manifest?.shards ?? 0;
  if (manifest?.format !== 'safekeep.collection' || !Number.isInteger(shards) || shards < 1 || shards > 4096) {
    throw new StoreCorruptError(`The manifest of collection ${name} is not a safekeep collection manifest; it was left untouched`, { detail: filePath });
  }
  return { format: 'safekeep.collection', version: manifest.version === CURRENT_MANIFEST_VERSION ? 3 : 2, shards };
}

export async function writeManifest(dir: string, shards: number, ids: IdSource): Promise<void> {
  const manifest: Manifest = { format: 'safekeep.collection', version: CURRENT_MANIFEST_VERSION, shards };
  await writeFileDurably(path.join(dir, MANIFEST_FILE), JSON.stringify(manifest), ids.next('w'));
}

/**
 * `index.json`: every key of the collection (sorted) with its shard, and what
 * each shard file looked like when this was written. A shard that still looks
 * so is not read at start; one that does not (or has no fingerprint: damaged
 * when written) is read, and its keys taken from it.
 */
export interface IndexFile {
  readonly format: 'safekeep.index';
  readonly version: 1;
  readonly fingerprints: Readonly<Record<string, ShardFingerprint>>;
  readonly keys: readonly string[];
  readonly shards: readonly number[];
}

/** The index, or null when it is missing or not usable (then it is rebuilt from the shards: never an error). */
export async function readIndexFile(dir: string, shardCount: number): Promise<IndexFile | null> {
  let parsed: Partial<IndexFile>;
  try {
    parsed = JSON.parse(await readFile(path.join(dir, INDEX_FILE), 'utf8')) as Partial<IndexFile>;
  } catch {
    return null;
  }
  const usable =
    parsed?.format === 'safekeep.index' &&
    typeof parsed.fingerprints === 'object' &&
    parsed.fingerprints !== null &&
    Array.isArray(parsed.keys) &&
    Array.isArray(parsed.shards) &&
    parsed.keys.length === parsed.shards.length &&
    strictlySorted(parsed.keys) &&
    parsed.shards.every((shard) => Number.isInteger(shard) && shard >= 0 && shard < shardCount);
  return usable ? (parsed as IndexFile) : null;
}

/** Sorted strings without duplicates: what the key index takes as is, without sorting again. */
function strictlySorted(keys: readonly unknown[]): boolean {
  let previous: string | null = null;
  for (const key of keys) {
    if (typeof key !== 'string' || (previous !== null && !(previous < key))) return false;
    previous = key;
  }
  return true;
}

export async function writeIndexFile(dir: string, index: Omit<IndexFile, 'format' | 'version'>, ids: IdSource): Promise<void> {
  const file: IndexFile = { format: 'safekeep.index', version: 1, ...index };
  await writeFileDurably(path.join(dir, INDEX_FILE), JSON.stringify(file), ids.next('w'));
}
