import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { restoreTempPaths } from '../../src/backup/restore-directory.ts';
import { ChaosProcess } from '../chaos/chaos-process.ts';
import { straceAvailable } from '../chaos/targeted-kills.ts';
import { TSX } from '../helpers/safekeep-process.ts';
import { writeTree } from '../helpers/source-tree.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const CHILD = [process.execPath, '--import', TSX, fileURLToPath(new URL('./children/directory-restore-steps.ts', import.meta.url))];
const OLD_TREE = { 'a.md': 'a2', 'b/c.md': 'c', 'new.md': 'added after the first snapshot' };
const NEW_TREE = { 'a.md': 'a', 'b/c.md': 'c' };

interface Paths {
  readonly target: string;
  readonly incoming: string;
  readonly outgoing: string;
}

/** A step of a directory restore, where strace kills the process: on entry to the first matching system call touching one of `paths`. */
interface Step {
  readonly name: string;
  readonly syscalls: string;
  readonly paths: (paths: Paths) => readonly string[];
  /** What the target must hold after the restart: the tree it had, the restored one, or (a target that did not exist) nothing. */
  readonly after: 'old' | 'new' | 'none';
  /** Restore to a new folder beside the source instead of over it. */
  readonly elsewhere?: true;
}

const RENAMES = 'rename,renameat,renameat2';
const STEPS: readonly Step[] = [
  { name: "making the new tree's folder", syscalls: 'mkdir,mkdirat', paths: (p) => [p.incoming], after: 'old' },
  { name: 'writing the first file of the new tree', syscalls: 'open,openat', paths: (p) => [path.join(p.incoming, 'a.md'), path.join(p.incoming, 'b/c.md')], after: 'old' },
  // strace matches a rename by its first (old) path only.
  { name: 'renaming the old tree aside', syscalls: RENAMES, paths: (p) => [p.target], after: 'old' },
  { name: 'renaming the new tree in (the target missing)', syscalls: RENAMES, paths: (p) => [p.incoming], after: 'old' },
  { name: 'fsync of the folder after the swap', syscalls: 'fsync,fdatasync', paths: (p) => [path.dirname(p.target)], after: 'new' },
  {
    name: 'removing the old tree',
    syscalls: 'unlink,unlinkat,rmdir',
    paths: (p) => [p.outgoing, ...['a.md', 'new.md', 'b', 'b/c.md'].map((name) => path.join(p.outgoing, name))],
    after: 'new',
  },
  { name: 'writing the first file of a new tree elsewhere', syscalls: 'open,openat', paths: (p) => [path.join(p.incoming, 'a.md'), path.join(p.incoming, 'b/c.md')], after: 'none', elsewhere: true },
  { name: 'renaming a new tree in elsewhere', syscalls: RENAMES, paths: (p) => [p.incoming], after: 'none', elsewhere: true },
];

/** Every regular file under `root`, by relative path, with its text; null when `root` is missing. */
async function readTree(root: string): Promise<Record<string, string> | null> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => null);
  if (!entries) return null;
  const tree: Record<string, string> = {};
  for (const entry of entries.filter((each) => each.isFile())) {
    const file = path.join(entry.parentPath, entry.name);
    tree[path.relative(root, file)] = await readFile(file, 'utf8');
  }
  return tree;
}

async function runChild(args: readonly string[], cwd: string, wrapper: readonly string[] = []): Promise<ChaosProcess & { result: { code: number | null; signal: NodeJS.Signals | null } }> {
  const child = new ChaosProcess(args, cwd, { command: CHILD, wrapper });
  const result = await child.exited;
  return Object.assign(child, { result });
}

describe('kill -9 at each step of a directory restore, then a restart', { skip: straceAvailable() ? false : 'strace is not installed' }, () => {
  for (const step of STEPS) {
    it(`leaves the target whole and nothing beside it after a kill at ${step.name}`, async () => {
      const root = await tempDir('dir-restore-crash');
      const source = await writeTree(path.join(root, 'site'), NEW_TREE);
      const dataDir = path.join(root, 'safekeep-data');
      const first = await runChild([dataDir, source, 'backup'], root);
      const v1 = first.stdout.match(/version (\S+)/)?.[1];
      assert.ok(v1, first.stderr);
      await writeFile(path.join(source, 'a.md'), OLD_TREE['a.md']);
      await writeFile(path.join(source, 'new.md'), OLD_TREE['new.md']);
      assert.match((await runChild([dataDir, source, 'backup'], root)).stdout, /version /);

      const target = step.elsewhere ? path.join(root, 'site-copy') : source;
      // The restore's temp id is the child's first `restore` id.
      const paths = { target, ...restoreTempPaths(target, 'restore-1') };
      const strace = ['strace', '-f', '-qq', '-o', '/dev/null', ...step.paths(paths).flatMap((each) => ['-P', each]), '-e', `trace=${step.syscalls}`, '-e', `inject=${step.syscalls}:signal=SIGKILL:when=1`];
      const killed = await runChild([dataDir, source, 'restore', v1, ...(step.elsewhere ? [target] : [])], root, strace);
      assert.equal(killed.result.signal ?? killed.result.code, killed.result.signal ? 'SIGKILL' : 137, `the kill did not fire: ${killed.stdout}${killed.stderr}`);

      const restart = await runChild([dataDir, source, 'start'], root);
      assert.equal(restart.result.code, 0, restart.stderr);
      const expected = { old: OLD_TREE, new: NEW_TREE, none: null }[step.after];
      assert.deepEqual(await readTree(target), expected);
      if (step.elsewhere) assert.deepEqual(await readTree(source), OLD_TREE, 'the source is untouched');
      assert.deepEqual((await readdir(root)).sort(), ['safekeep-data', 'site', ...(step.elsewhere && expected ? ['site-copy'] : [])].sort(), 'no temp folder is left');
      const leftBehind = step.after === 'new' || step.name !== "making the new tree's folder";
      if (leftBehind) assert.match(restart.stderr, /settled (a restore|restores) a crash cut short: /);

      // Settled once: the next start finds nothing to do (the recorded target was cleared).
      const again = await runChild([dataDir, source, 'start'], root);
      assert.doesNotMatch(again.stderr, /settled/);
      await rm(root, { recursive: true, force: true });
    });
  }
});
