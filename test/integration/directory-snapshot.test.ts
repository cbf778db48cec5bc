import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, lstat, readdir, readFile, readlink, stat, utimes, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { snapshotDirectory, type SnapshotRequest, type SnapshotResult } from '../../src/backup/snapshot-directory.ts';
import { manifestPathOf, decodeManifest } from '../../src/backup/snapshot-manifest.ts';
import { TORN_FILE_ATTEMPTS } from '../../src/backup/snapshot-file-copy.ts';
import { SourceChangedDuringCopyError, SourceNotFoundError } from '../../src/backup/errors.ts';
import { TEMP_FILE_PREFIX } from '../../src/backup/version-name.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { writeModeFile, writeTree } from '../helpers/source-tree.ts';

type Copied = Extract<SnapshotResult, { kind: 'copied' }>;

let counter = 0;

/** A snapshot of `source` into `destination`, linked against `previous`. */
async function snapshot(source: string, destination: string, previous: Copied | null, extra: Partial<SnapshotRequest> = {}, hooks = {}) {
  counter++;
  return snapshotDirectory(
    {
      sourcePath: source,
      destinationDir: destination,
      snapshotName: `snap-${counter}`,
      tempId: `t${counter}`,
      excludes: [],
      previous: previous ? { path: previous.path, sha256: previous.sha256 } : null,
      ...extra,
    },
    hooks,
  );
}

function copied(result: SnapshotResult): Copied {
  assert.equal(result.kind, 'copied');
  return result as Copied;
}

async function fixture() {
  const root = await tempDir('snapshot');
  const source = await writeTree(path.join(root, 'photos'), {
    'a.txt': 'alpha',
    'deep/er/b.bin': Buffer.alloc(3000, 7),
    'empty-folder': {},
    'link-to-a': { link: 'a.txt' },
    'link-out': { link: '/etc/passwd' },
  });
  await writeModeFile(source, 'script.sh', '#!/bin/sh\n', 0o750);
  return { root, source, destination: path.join(root, 'backups', 'photos') };
}

describe('a directory snapshot', () => {
  it('holds every file with its mode and mtime, links as links, empty folders, and only that; its manifest is beside it', async () => {
    const { source, destination } = await fixture();
    await utimes(path.join(source, 'a.txt'), new Date('2020-01-02T03:04:05Z'), new Date('2020-01-02T03:04:05Z'));
    const first = copied(await snapshot(source, destination, null));
    assert.equal(first.path, path.join(destination, 'snap-1'));
    assert.deepEqual((await readdir(destination)).sort(), ['snap-1', 'snap-1.manifest.json.gz']);
    assert.deepEqual((await readdir(first.path)).sort(), ['a.txt', 'deep', 'empty-folder', 'link-out', 'link-to-a', 'script.sh']);
    assert.equal(await readFile(path.join(first.path, 'a.txt'), 'utf8'), 'alpha');
    assert.deepEqual(await readFile(path.join(first.path, 'deep/er/b.bin')), Buffer.alloc(3000, 7));
    assert.equal((await stat(path.join(first.path, 'script.sh'))).mode & 0o7777, 0o750);
    assert.equal((await stat(path.join(first.path, 'a.txt'))).mtime.toISOString(), '2020-01-02T03:04:05.000Z');
    assert.equal(await readlink(path.join(first.path, 'link-out')), '/etc/passwd', 'links are kept, never followed');
    assert.ok((await lstat(path.join(first.path, 'link-out'))).isSymbolicLink());
    assert.deepEqual(await readdir(path.join(first.path, 'empty-folder')), []);
    assert.equal(first.fileCount, 3);
    assert.equal(first.size, 5 + 3000 + 10);
    assert.equal(first.filesCopied, 3);

    const manifest = decodeManifest(await readFile(manifestPathOf(first.path)));
    assert.ok(manifest);
    assert.deepEqual(manifest.entries.map((entry) => `${entry.type} ${entry.path}`), [
      'file a.txt', 'directory deep', 'directory deep/er', 'file deep/er/b.bin', 'directory empty-folder', 'symlink link-out', 'symlink link-to-a', 'file script.sh',
    ]);
  });

  it('writes nothing when nothing changed', async () => {
    const { source, destination } = await fixture();
    const first = copied(await snapshot(source, destination, null));
    const name = path.basename(first.path);
    assert.deepEqual(await snapshot(source, destination, first), { kind: 'unchanged' });
    assert.deepEqual((await readdir(destination)).sort(), [name, `${name}.manifest.json.gz`]);
  });

  it('hard-links unchanged files from the previous snapshot and copies only the changed one', async () => {
    const { source, destination } = await fixture();
    const first = copied(await snapshot(source, destination, null));
    await writeFile(path.join(source, 'a.txt'), 'alpha, changed');
    const second = copied(await snapshot(source, destination, first));
    assert.equal(second.filesCopied, 1);
    assert.equal(second.bytesCopied, 'alpha, changed'.length);
    const inode = async (snap: Copied, relative: string) => (await stat(path.join(snap.path, relative))).ino;
    assert.equal(await inode(second, 'deep/er/b.bin'), await inode(first, 'deep/er/b.bin'));
    assert.equal(await inode(second, 'script.sh'), await inode(first, 'script.sh'));
    assert.notEqual(await inode(second, 'a.txt'), await inode(first, 'a.txt'));
    assert.equal(await readFile(path.join(first.path, 'a.txt'), 'utf8'), 'alpha', 'the earlier snapshot is untouched');
    assert.equal(await readFile(path.join(second.path, 'a.txt'), 'utf8'), 'alpha, changed');
  });

  it('links a file rewritten with the same bytes and mtime instead of keeping a second copy, and makes no version', async () => {
    const { source, destination } = await fixture();
    const file = path.join(source, 'deep/er/b.bin');
    // A whole second, which utimes can set exactly (it cannot set every nanosecond a write gives).
    const mtime = new Date('2024-05-06T07:08:09Z');
    await utimes(file, mtime, mtime);
    const first = copied(await snapshot(source, destination, null));
    const name = path.basename(first.path);
    await writeFile(file, Buffer.alloc(3000, 7));
    await utimes(file, mtime, mtime);
    assert.deepEqual(await snapshot(source, destination, first), { kind: 'unchanged' });
    assert.deepEqual((await readdir(destination)).sort(), [name, `${name}.manifest.json.gz`], 'the trial tree was removed');

    await writeFile(path.join(source, 'new.txt'), 'new');
    const second = copied(await snapshot(source, destination, first));
    assert.equal(second.filesCopied, 1, 'only new.txt: b.bin was hashed, found the same, and linked');
    assert.equal((await stat(path.join(second.path, 'deep/er/b.bin'))).ino, (await stat(path.join(first.path, 'deep/er/b.bin'))).ino);
  });

  it('leaves out what --exclude matches, relative to the source root', async () => {
    const root = await tempDir('snapshot-excludes');
    const source = await writeTree(path.join(root, 'src'), {
      'keep.txt': 'k',
      'debug.log': 'x',
      'nested/more.log': 'x',
      'cache/big': 'x',
      'nested/cache': 'a file named cache stays: cache/ matches folders only',
      'build/out.o': 'x',
      'nested/build/out.o': 'kept: build/*.o is anchored',
      '.hidden.log': 'x',
    });
    const result = copied(await snapshot(source, path.join(root, 'b'), null, { excludes: ['*.log', 'cache/', 'build/*.o'] }));
    const manifest = decodeManifest(await readFile(manifestPathOf(result.path)));
    assert.deepEqual(manifest?.entries.map((entry) => entry.path), ['build', 'keep.txt', 'nested', 'nested/build', 'nested/build/out.o', 'nested/cache']);
    assert.deepEqual(manifest?.excludes, ['*.log', 'cache/', 'build/*.o']);
  });

  it('skips sockets and reports them', async () => {
    const { source, destination } = await fixture();
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(path.join(source, 'app.sock'), resolve));
    try {
      const result = copied(await snapshot(source, destination, null));
      assert.deepEqual(result.skipped, ['app.sock']);
      assert.ok(!(await readdir(result.path)).includes('app.sock'));
      assert.deepEqual(decodeManifest(await readFile(manifestPathOf(result.path)))?.skipped, [{ path: 'app.sock', kind: 'socket' }]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('reads a file again that changed while it was read, and stores the bytes it settled on', async () => {
    const { source, destination } = await fixture();
    const tries: number[] = [];
    const result = copied(
      await snapshot(source, destination, null, {}, {
        afterRead: async (relative: string, attempt: number) => {
          if (relative !== 'deep/er/b.bin') return;
          tries.push(attempt);
          if (attempt === 1) await appendFile(path.join(source, relative), 'written during the copy');
        },
      }),
    );
    assert.deepEqual(tries, [1, 2]);
    const stored = await readFile(path.join(result.path, 'deep/er/b.bin'));
    assert.deepEqual(stored, Buffer.concat([Buffer.alloc(3000, 7), Buffer.from('written during the copy')]));
  });

  it('fails with SOURCE_CHANGED_DURING_COPY and leaves nothing when a file never holds still', async () => {
    const { source, destination } = await fixture();
    const attempt = snapshot(source, destination, null, {}, {
      afterRead: async (relative: string) => {
        if (relative === 'a.txt') await appendFile(path.join(source, relative), '!');
      },
    });
    await assert.rejects(attempt, (error: unknown) => error instanceof SourceChangedDuringCopyError && /a\.txt/.test(error.message) && new RegExp(`${TORN_FILE_ATTEMPTS} tries`).test(error.message));
    assert.deepEqual((await readdir(destination)).filter((name) => name.startsWith(TEMP_FILE_PREFIX) || name.startsWith('snap')), []);
  });

  it('says SOURCE_NOT_FOUND for a missing source folder', async () => {
    const root = await tempDir('snapshot-missing');
    await assert.rejects(snapshot(path.join(root, 'nope'), path.join(root, 'b'), null), SourceNotFoundError);
  });

  it('copies every file again when the previous manifest is not the registered one', async () => {
    const { source, destination } = await fixture();
    const first = copied(await snapshot(source, destination, null));
    await writeFile(path.join(source, 'a.txt'), 'changed');
    const second = copied(await snapshot(source, destination, { ...first, sha256: '0'.repeat(64) }));
    assert.equal(second.filesCopied, 3);
  });
});
