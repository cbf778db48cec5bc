import { hash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { Low } from 'lowdb';
import { systemErrorCode } from '../../src/errors/safekeep-error.ts';
import type { IdSource } from '../../src/ids/ids.ts';
import { StoreCorruptError } from '../../src/store/errors.ts';
import { DurableJsonFile } from './durable-json-file.ts';

/** What one shard file holds. Documents sit in a prototype-free object: any key is just a key. */
interface ShardData {
  format: 'safekeep.shard';
  version: 1;
  documents: Record<string, unknown>;
}

export type ShardDocuments = Record<string, unknown>;

export const SHARD_FILE = /^shard-([0-9a-f]{3})\.json$/;

export const shardHex = (index: number): string => index.toString(16).padStart(3, '0');
export const shardFileName = (index: number): string => `shard-${shardHex(index)}.json`;

/** The shard a key lives in: its SHA-256 picks it, so keys spread evenly and never move while the count stays. */
export function shardOfKey(key: string, shardCount: number): number {
  return hash('sha256', key, 'buffer').readUInt32BE(0) % shardCount;
}

export const emptyDocuments = (): ShardDocuments => Object.create(null) as ShardDocuments;

/**
 * A shard file's documents and the size of its text (what the shard cache
 * counts), or null when there is no file. `label` names the shard in messages
 * a client may see (`book.users shard 0a3`); the path goes to the log only.
 */
export async function readShard(filePath: string, label: string, ids: IdSource): Promise<{ documents: ShardDocuments; bytes: number } | null> {
  const file = new DurableJsonFile<ShardData>(filePath, label, ids, () => undefined);
  const data = await file.read();
  if (data === null) return null;
  const documents: unknown = data?.documents;
  if (data?.format !== 'safekeep.shard' || typeof documents !== 'object' || documents === null || Array.isArray(documents)) {
    throw new StoreCorruptError(`${label} is not a safekeep shard file; it was left untouched`, { detail: filePath });
  }
  return { documents: Object.assign(emptyDocuments(), documents), bytes: file.lastReadBytes };
}

/** Replaces the shard file with `documents` through lowdb, durably (temp, fsync, rename, fsync the folder); resolves with its text's size. */
export async function writeShard(filePath: string, label: string, ids: IdSource, documents: ShardDocuments): Promise<number> {
  const file = new DurableJsonFile<ShardData>(filePath, label, ids, () => undefined);
  const db = new Low<ShardData>(file, { format: 'safekeep.shard', version: 1, documents });
  await db.write();
  return file.lastWrittenBytes;
}

/**
 * What a shard file looked like when the key index was written: if it still
 * looks so at start, the index's keys for it are right and the file need not
 * be read. Any rewrite (rename: new inode, new times) or edit changes it.
 */
export interface ShardFingerprint {
  readonly size: number;
  readonly mtimeNs: string;
  readonly ctimeNs: string;
  readonly ino: string;
}

export async function shardFingerprint(filePath: string): Promise<ShardFingerprint | null> {
  try {
    const info = await stat(filePath, { bigint: true });
    return { size: Number(info.size), mtimeNs: String(info.mtimeNs), ctimeNs: String(info.ctimeNs), ino: String(info.ino) };
  } catch (error) {
    if (systemErrorCode(error) === 'ENOENT') return null;
    throw error;
  }
}

export const sameFingerprint = (a: ShardFingerprint | null | undefined, b: ShardFingerprint | null | undefined): boolean =>
  a !== undefined && b !== undefined && (a === null || b === null ? a === b : a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs && a.ino === b.ino);
