import { execFile } from 'node:child_process';
import { chmod, mkdir } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface RestrictedDir {
  readonly path: string;
  release(): Promise<void>;
}

/**
 * A real directory that refuses writes. As root, permissions do not stop
 * writes, so a read-only tmpfs is mounted there instead; as another user a
 * plain `chmod 0500` does it. Returns undefined when neither is possible here.
 */
export async function readOnlyDir(directory: string): Promise<RestrictedDir | undefined> {
  await mkdir(directory, { recursive: true });
  if (process.getuid?.() !== 0) {
    await chmod(directory, 0o500);
    return { path: directory, release: () => chmod(directory, 0o700) };
  }
  return mountTmpfs(directory, 'ro,size=64k');
}

/** A real directory on a tmpfs of `sizeKiB`, so writes past that fail with ENOSPC. Root only. */
export async function tinyDir(directory: string, sizeKiB: number): Promise<RestrictedDir | undefined> {
  await mkdir(directory, { recursive: true });
  if (process.getuid?.() !== 0) return undefined;
  return mountTmpfs(directory, `size=${sizeKiB}k,mode=0700`);
}

async function mountTmpfs(directory: string, options: string): Promise<RestrictedDir | undefined> {
  try {
    await run('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', directory]);
  } catch {
    return undefined;
  }
  return { path: directory, release: () => run('umount', ['-l', directory]).then(() => undefined) };
}
