import { chmod, mkdir, open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { systemErrorCode } from '../errors/safekeep-error.ts';
import { fsyncDirectory } from '../fs/fsync-directory.ts';
import type { RandomSource } from '../random/random.ts';
import { ServiceKeyInvalidError } from './errors.ts';
import { KEY_BYTES } from './sealed-box.ts';

/**
 * The key that encrypts generated passwords waiting in the inbox, before any
 * user owns them: 32 random bytes in `<dataDir>/keys/service.key`, mode 0600
 * in a 0700 folder. Made once, durably, on first start; kept as it is after.
 */
export async function loadServiceKey(dataDir: string, random: RandomSource): Promise<Buffer> {
  const dir = path.join(dataDir, 'keys');
  const file = path.join(dir, 'service.key');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  try {
    const key = await readFile(file);
    if (key.length !== KEY_BYTES) throw new ServiceKeyInvalidError(`${file} is not a ${KEY_BYTES}-byte key; it was left untouched`);
    await chmod(file, 0o600);
    return key;
  } catch (error) {
    if (systemErrorCode(error) !== 'ENOENT') throw error;
  }
  const key = random.bytes(KEY_BYTES);
  // 'wx': never replace a key some other start made meanwhile; the data directory lock makes that moot anyway.
  const handle = await open(file, 'wx', 0o600);
  try {
    await handle.writeFile(key);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fsyncDirectory(dir);
  return key;
}
