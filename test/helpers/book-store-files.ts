import { openStore } from './open-store.ts';
import { isDeepStrictEqual } from 'node:util';
import { recordDigest } from '../../src/integrity/record-digest.ts';
import type { StoreClient } from '../../src/store/store-client.ts';

/**
 * The book's documents as a stopped service left them, for tests that damage
 * them the way a disk or an operator would. Read and written through the
 * store contract (a store adapter of its own on a bus of its own), so they
 * hold whatever engine keeps the files.
 */
export type StoredDocuments = Record<string, any>;

async function withStore<T>(dataDir: string, use: (store: StoreClient) => Promise<T>): Promise<T> {
  const { client, close } = await openStore(dataDir);
  try {
    return await use(client);
  } finally {
    await close();
  }
}

/** Every document of a collection, as one map. */
export async function storedDocuments(dataDir: string, collection: string): Promise<StoredDocuments> {
  return withStore(dataDir, (store) => store.list<any>(collection));
}

/** Lets `change` edit the documents of one collection (as one map: in place, added, deleted), then writes back what changed. */
export async function rewriteStored(dataDir: string, collection: string, change: (documents: StoredDocuments) => void): Promise<void> {
  await withStore(dataDir, async (store) => {
    const before = await store.list<any>(collection);
    const after: StoredDocuments = structuredClone(before);
    change(after);
    for (const key of Object.keys(before)) if (!Object.hasOwn(after, key)) await store.delete(collection, key);
    for (const [key, document] of Object.entries(after)) if (!isDeepStrictEqual(before[key], document)) await store.put(collection, key, document);
  });
}

/** Flips one bit of a base64 field, as a failing disk sector would: same length, still valid base64. */
export function flipBase64(text: string, at = 0): string {
  const bytes = Buffer.from(text, 'base64');
  const index = at % bytes.length;
  bytes[index] = (bytes[index] as number) ^ 0x01;
  return bytes.toString('base64');
}

/** The group (username) of a `book.entries` key. */
export const ownerOf = (key: string): string => key.slice(0, key.indexOf('\u0000'));

/** One user's entry documents, by entry id, each with the key it is stored under. */
export function entriesOf(documents: StoredDocuments, username: string): Record<string, { key: string; document: any }> {
  const byId: Record<string, { key: string; document: any }> = {};
  for (const [key, document] of Object.entries(documents)) if (ownerOf(key) === username) byId[document.entryId] = { key, document };
  return byId;
}

/**
 * Puts a user's book back into the version-1 layout (every entry inside the
 * user document, under its id), as the code before `book.entries` wrote it:
 * for tests of the split at login. `digests: false` makes it older still
 * (written before digests).
 */
export async function makeWholeBook(dataDir: string, username: string, options: { digests: boolean }): Promise<void> {
  const entries: Record<string, unknown> = {};
  await rewriteStored(dataDir, 'book.entries', (documents) => {
    for (const [entryId, { key, document }] of Object.entries(entriesOf(documents, username))) {
      const { sealed, createdAt, updatedAt } = document;
      entries[entryId] = options.digests ? { sealed, createdAt, updatedAt, entryDigest: recordDigest({ entryId, sealed, createdAt, updatedAt }) } : { sealed, createdAt, updatedAt };
      delete documents[key];
    }
  });
  await rewriteStored(dataDir, 'book.users', (users) => {
    users[username] = { ...users[username], version: 1, entries };
    if (!options.digests) delete users[username].credentialsDigest;
  });
}
