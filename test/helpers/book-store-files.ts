import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * The book's documents straight from the store's shard files, for tests that
 * damage them the way a disk or an operator would (the service is stopped).
 */
export type StoredDocuments = Record<string, any>;

async function shardsOf(dataDir: string, collection: string): Promise<Map<string, { documents: StoredDocuments }>> {
  const dir = path.join(dataDir, 'store', collection);
  const shards = new Map<string, { documents: StoredDocuments }>();
  for (const name of await readdir(dir)) {
    if (name.startsWith('shard-')) shards.set(path.join(dir, name), JSON.parse(await readFile(path.join(dir, name), 'utf8')));
  }
  return shards;
}

/** Every document of a collection, across shards, as one map. */
export async function storedDocuments(dataDir: string, collection: string): Promise<StoredDocuments> {
  return Object.assign({}, ...[...(await shardsOf(dataDir, collection)).values()].map((shard) => shard.documents));
}

/** Lets `change` edit the documents of one collection in place (as one map), then writes each shard back. */
export async function rewriteStored(dataDir: string, collection: string, change: (documents: StoredDocuments) => void): Promise<void> {
  const shards = await shardsOf(dataDir, collection);
  change(Object.assign({}, ...[...shards.values()].map((shard) => shard.documents)));
  for (const [file, shard] of shards) await writeFile(file, JSON.stringify(shard));
}

/** Flips one bit of a base64 field, as a failing disk sector would: same length, still valid base64. */
export function flipBase64(text: string, at = 0): string {
  const bytes = Buffer.from(text, 'base64');
  const index = at % bytes.length;
  bytes[index] = (bytes[index] as number) ^ 0x01;
  return bytes.toString('base64');
}
