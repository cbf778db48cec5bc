import { chmod, mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import { systemErrorCode } from '../errors/safekeep-error.ts';
import { DURABLE_TEMP_SUFFIX, writeFileDurably } from '../fs/write-file-durably.ts';
import type { RandomSource } from '../random/random.ts';
import { ServiceKeyInvalidError } from './errors.ts';
import { KEY_BYTES } from './sealed-box.ts';

const KEY_FILE = 'service.key';
/**
 * The key's temp file is `keys/service.key.new.safekeep-tmp`: one fixed name is
 * enough (the data directory lock admits one start at a time, and a leftover is
 * removed before it is written) and lets a fault injector aim at it by path.
 */
export const KEY_TEMP_ID = 'new';

export interface LoadServiceKeyOptions {
  /** Told, in one sentence, about a repair made while loading (an empty key left by an older version's crash was replaced). */
  readonly onNote?: (note: string) => void;
  /** Names the temp file; default KEY_TEMP_ID. */
  readonly tempId?: string;
}

/**
 * The key that encrypts generated passwords waiting in the inbox, before any
 * user owns them: 32 random bytes in `<dataDir>/keys/service.key`, mode 0600
 * in a 0700 folder. Made once on first start, written like every other file
 * (temp, fsync, rename, fsync the folder), so a crash leaves no key or the
 * whole key; kept as it is after.
 *
 * @example
 * const key = await loadServiceKey('./safekeep-data', systemRandom, { onNote: (note) => console.log(note) });
 */
export async function loadServiceKey(dataDir: string, random: RandomSource, options: LoadServiceKeyOptions = {}): Promise<Buffer> {
  const dir = path.join(dataDir, 'keys');
  const file = path.join(dir, KEY_FILE);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  await removeLeftoverTempFiles(dir);

  const existing = await readKey(file);
  if (existing !== undefined && existing.length === KEY_BYTES) {
    await chmod(file, 0o600);
    return existing;
  }
  // Only an empty file is replaced: nothing can have been sealed under it. Any other size may be a key
  // someone damaged or truncated, which a human should look at before anything overwrites it.
  if (existing !== undefined && existing.length !== 0) {
    // A start error, told to the operator only: the path helps them find it.
    throw new ServiceKeyInvalidError(`${file} is not a ${KEY_BYTES}-byte key (it has ${existing.length} bytes); it was left untouched`);
  }
  const key = random.bytes(KEY_BYTES);
  await writeFileDurably(file, key, options.tempId ?? KEY_TEMP_ID);
  if (existing !== undefined) {
    options.onNote?.(`keys/${KEY_FILE} was empty (left by a start that was killed while making it, before any secret was sealed under it); a new key was made`);
  }
  return key;
}

/** The key file's bytes, or undefined when there is none. */
async function readKey(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (error) {
    if (systemErrorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/** Temp files of a key write that was killed before its rename: never a key, always safe to remove. */
async function removeLeftoverTempFiles(dir: string): Promise<void> {
  const names = await readdir(dir);
  await Promise.all(
    names.filter((name) => name.startsWith(`${KEY_FILE}.`) && name.endsWith(DURABLE_TEMP_SUFFIX)).map((name) => unlink(path.join(dir, name))),
  );
}
