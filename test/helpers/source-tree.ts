import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** What a test tree holds: a file's content, `{ link }` for a symlink, `{}` for an empty folder. */
export type TreeSpec = Record<string, string | Buffer | { readonly link: string } | Record<string, never>>;

/** Makes the entries of `spec` under `root` (paths `/`-separated, parents made as needed) and returns `root`. */
export async function writeTree(root: string, spec: TreeSpec): Promise<string> {
  await mkdir(root, { recursive: true });
  for (const [relative, content] of Object.entries(spec)) {
    const target = path.join(root, relative);
    await mkdir(path.dirname(target), { recursive: true });
    if (typeof content === 'string' || Buffer.isBuffer(content)) await writeFile(target, content);
    else if ('link' in content) await symlink(content.link, target);
    else await mkdir(target, { recursive: true });
  }
  return root;
}

/** A file with an unusual mode, to see that snapshots keep it. */
export async function writeModeFile(root: string, relative: string, content: string, mode: number): Promise<string> {
  const target = path.join(root, relative);
  await mkdir(path.dirname(target), { recursive: true });
  await writeFile(target, content);
  await chmod(target, mode);
  return target;
}
