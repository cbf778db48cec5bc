import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { EntryDocument, UserRecord } from '../src/book/book-records.ts';

/** A bench user as the book stores it: the credentials document and its entry documents under their keys. */
export interface BenchUser {
  readonly record: UserRecord;
  readonly entries: readonly { readonly key: string; readonly document: EntryDocument }[];
}

/** The book's code that decides what a user record is: a change to any of it makes the cached records stale. */
const RECORD_SOURCES = ['book-records.ts', 'book-digests.ts', 'book-entries.ts', 'entry-name-tag.ts', 'user-credentials.ts', 'password-hasher.ts', 'sealed-box.ts'].map(
  (name) => new URL(`../src/book/${name}`, import.meta.url),
);

/**
 * The bench's users with real credentials, made once and kept in the temp
 * folder between runs: each costs two Argon2id passes, so a thousand of them
 * take half a minute or more, every run. Kept per count and per version of
 * the book's record code; each user still has its own salt, hash and data key.
 */
export async function cachedRecords(count: number, make: () => Promise<BenchUser[]>): Promise<BenchUser[]> {
  const hash = createHash('sha256');
  for (const source of RECORD_SOURCES) hash.update(await readFile(source));
  const dir = path.join(tmpdir(), 'safekeep-bench-cache');
  const file = path.join(dir, `login-users-${count}-${hash.digest('hex').slice(0, 16)}.json`);
  const cached = await readFile(file, 'utf8').then(
    (text) => JSON.parse(text) as BenchUser[],
    () => null,
  );
  if (cached?.length === count) return cached;
  const records = await make();
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // A bench cache, not data: written whole under a temp name so a killed run never leaves half a file, but not fsynced.
  await writeFile(`${file}.tmp`, JSON.stringify(records), { mode: 0o600 });
  await rename(`${file}.tmp`, file);
  return records;
}
