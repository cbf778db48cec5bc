import { readdir } from 'node:fs/promises';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { systemErrorCode } from '../../src/errors/safekeep-error.ts';
import { StoreCorruptError } from '../../src/store/errors.ts';
import type { IndexFile } from './collection-files.ts';
import { KeyIndex } from './key-index.ts';
import { SHARD_FILE, sameFingerprint, shardFingerprint, shardHex, type readShard, type ShardFingerprint } from './shard-file.ts';

export interface LoadedKeys {
  readonly index: KeyIndex;
  /** Of the shards as they are now (those found damaged have none). */
  readonly fingerprints: Map<number, ShardFingerprint>;
  readonly damaged: Map<number, StoreCorruptError>;
  /** The index file was missing or out of date: it should be written again. */
  readonly stale: boolean;
}

export interface LoadKeysInput {
  readonly dir: string;
  readonly shardCount: number;
  /** Null: none, or not trusted (`safekeep check` reads every shard). */
  readonly indexFile: IndexFile | null;
  readonly shardPath: (shard: number) => string;
  readonly readShardFile: (shard: number) => ReturnType<typeof readShard>;
}

/**
 * A collection's keys at start: the index file's word for every shard file
 * that still looks as it did when the index was written (size, times,
 * inode), and the keys read from every other shard file. Without an index
 * (the first start on the old layout) that is every shard, once. A shard
 * that cannot be read is returned as damaged, not thrown.
 */
export async function loadKeys(input: LoadKeysInput): Promise<LoadedKeys> {
  const { indexFile } = input;
  const fingerprints = new Map<number, ShardFingerprint>();
  const damaged = new Map<number, StoreCorruptError>();
  const shards = await shardsToLookAt(input.dir, input.shardCount, indexFile ? Object.keys(indexFile.fingerprints) : []);
  const current = await Promise.all(shards.map((shard) => shardFingerprint(input.shardPath(shard))));
  const toRead: number[] = [];
  shards.forEach((shard, position) => {
    const fingerprint = current[position] ?? null;
    if (indexFile && sameFingerprint(indexFile.fingerprints[shardHex(shard)], fingerprint)) {
      if (fingerprint) fingerprints.set(shard, fingerprint);
    } else toRead.push(shard);
  });
  // The arrays just parsed from the file become the index's own: no copy of 100,000 keys.
  if (indexFile && toRead.length === 0) return { index: new KeyIndex(indexFile.keys as string[], indexFile.shards as number[]), fingerprints, damaged, stale: false };

  const reread = new Set(toRead);
  const entries: [string, number][] = [];
  indexFile?.keys.forEach((key, position) => {
    const shard = indexFile.shards[position] as number;
    if (!reread.has(shard)) entries.push([key, shard]);
  });
  for (const shard of toRead) {
    const fingerprint = await shardFingerprint(input.shardPath(shard));
    try {
      const read = await input.readShardFile(shard);
      for (const key of Object.keys(read?.documents ?? {})) entries.push([key, shard]);
      if (fingerprint) fingerprints.set(shard, fingerprint);
    } catch (error) {
      if (!(error instanceof StoreCorruptError)) throw error;
      damaged.set(shard, error);
    }
    // Parsing a 1 MB shard takes ~10 ms: one per turn.
    await yieldToEventLoop();
  }
  return { index: KeyIndex.fromUnsorted(entries), fingerprints, damaged, stale: true };
}

/** Shards with a file, and those the index names (a file since removed must be looked at too). */
async function shardsToLookAt(dir: string, shardCount: number, indexed: readonly string[]): Promise<number[]> {
  let names: string[] = [];
  try {
    names = await readdir(dir);
  } catch (error) {
    if (systemErrorCode(error) !== 'ENOENT') throw error;
  }
  const shards = new Set(indexed.map((hex) => Number.parseInt(hex, 16)).filter((shard) => shard < shardCount));
  for (const name of names) {
    const match = SHARD_FILE.exec(name);
    if (match?.[1] !== undefined) shards.add(Number.parseInt(match[1], 16));
  }
  return [...shards].sort((a, b) => a - b);
}
