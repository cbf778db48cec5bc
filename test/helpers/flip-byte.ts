import { open, stat, utimes } from 'node:fs/promises';

/**
 * Flips one byte of a file in place, as a failing disk would: same size. With
 * `keepTimes` its mtime is put back too, so only hashing can tell.
 */
export async function flipByte(filePath: string, offset = 0, { keepTimes = false } = {}): Promise<void> {
  const before = await stat(filePath);
  const file = await open(filePath, 'r+');
  try {
    const byte = Buffer.alloc(1);
    await file.read(byte, 0, 1, offset);
    byte[0] = (byte[0] as number) ^ 0xff;
    await file.write(byte, 0, 1, offset);
  } finally {
    await file.close();
  }
  if (keepTimes) await utimes(filePath, before.atime, before.mtime);
}
