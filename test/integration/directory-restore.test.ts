import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, readlink, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { snapshotDirectory, type SnapshotResult } from '../../src/backup/snapshot-directory.ts';
import { checkSnapshot } from '../../src/backup/snapshot-check.ts';
import { recoverDirectoryRestore, restoreDirectory, restoreTempPaths } from '../../src/backup/restore-directory.ts';
import { SnapshotDamagedError } from '../../src/backup/errors.ts';
import { restoreFile } from '../../src/backup/restore-file.ts';
import { manifestPathOf } from '../../src/backup/snapshot-manifest.ts';
import { flipByte } from '../helpers/flip-byte.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { startTestHost } from '../helpers/host-harness.ts';
import { localBackupFiles } from '../../src/backup/local-backup-files.ts';
import { Bus } from '../../src/bus/bus.ts';
import type { BusEvents } from '../../src/bus/events.ts';
import type { BackupFiles } from '../../src/ports/backup-files.ts';
import { writeModeFile, writeTree } from '../helpers/source-tree.ts';

type Copied = Extract<SnapshotResult, { kind: 'copied' }>;

async function snapshotOf(label: string) {
  const root = await tempDir(label);
  const source = await writeTree(path.join(root, 'site'), {
    'index.html': '<h1>v1</h1>',
    'assets/logo.png': Buffer.alloc(5000, 3),
    'assets/empty': {},
    'current': { link: 'index.html' },
  });
  await writeModeFile(source, 'bin/run', 'exec', 0o711);
  const result = (await snapshotDirectory({ sourcePath: source, destinationDir: path.join(root, 'backups'), snapshotName: 'site.1', tempId: 'x', excludes: [], previous: null })) as Copied;
  const version = { path: result.path, sha256: result.sha256, kind: 'directory' as const };
  return { root, source, result, version };
}

describe('verifying a snapshot', () => {
  it('finds an intact snapshot intact', async () => {
    const { result } = await snapshotOf('check');
    const checked = await checkSnapshot(result.path, result.sha256);
    assert.equal(checked.kind, 'intact');
    assert.equal(checked.kind === 'intact' && checked.file.size, (await stat(manifestPathOf(result.path))).size);
  });

  it('reads a file shared by hard link with a snapshot already verified in the pass only once, and still checks the rest', async () => {
    const { result, source, root } = await snapshotOf('check-shared');
    await writeFile(path.join(source, 'index.html'), '<h1>v2</h1>');
    const second = (await snapshotDirectory({ sourcePath: source, destinationDir: path.join(root, 'backups'), snapshotName: 'site.2', tempId: 'y', excludes: [], previous: { path: result.path, sha256: result.sha256 } })) as Copied;
    const verifiedBefore = { path: result.path, sha256: result.sha256 };
    const checked = await checkSnapshot(second.path, second.sha256, { verifiedBefore });
    assert.equal(checked.kind, 'intact');
    assert.equal(checked.bytesRead, (await stat(manifestPathOf(second.path))).size + '<h1>v2</h1>'.length, 'only the manifest and the changed file were read');

    await flipByte(path.join(second.path, 'index.html'), 1, { keepTimes: true });
    const damaged = await checkSnapshot(second.path, second.sha256, { verifiedBefore });
    assert.equal(damaged.kind === 'damaged' && damaged.entry, 'index.html');
    const unknown = await checkSnapshot(result.path, result.sha256, { verifiedBefore: { path: second.path, sha256: '0'.repeat(64) } });
    assert.equal(unknown.kind === 'intact' && unknown.bytesRead, (await stat(manifestPathOf(result.path))).size + 11 + 5000 + 4, 'a snapshot named with the wrong SHA-256 skips nothing');
  });

  it('names the file whose bytes changed, one that is gone, a changed link, and a manifest that is not the registered one', async () => {
    const flipped = await snapshotOf('check-flip');
    await flipByte(path.join(flipped.result.path, 'assets/logo.png'), 10, { keepTimes: true });
    assert.deepEqual(await checkSnapshot(flipped.result.path, flipped.result.sha256), {
      kind: 'damaged', reason: 'content-mismatch', actualSha256: flipped.result.sha256, entry: 'assets/logo.png', bytesRead: (await stat(manifestPathOf(flipped.result.path))).size + 5000,
    });

    const gone = await snapshotOf('check-gone');
    await rename(path.join(gone.result.path, 'bin/run'), path.join(gone.root, 'elsewhere'));
    const missing = await checkSnapshot(gone.result.path, gone.result.sha256);
    assert.equal(missing.kind === 'damaged' && `${missing.reason} ${missing.entry}`, 'missing bin/run');

    const relinked = await snapshotOf('check-link');
    await rm(path.join(relinked.result.path, 'current'));
    await symlink('/etc/shadow', path.join(relinked.result.path, 'current'));
    const link = await checkSnapshot(relinked.result.path, relinked.result.sha256);
    assert.equal(link.kind === 'damaged' && `${link.reason} ${link.entry}`, 'content-mismatch current');

    const manifest = await snapshotOf('check-manifest');
    const other = await checkSnapshot(manifest.result.path, 'f'.repeat(64));
    assert.equal(other.kind === 'damaged' && `${other.reason} ${other.entry}`, 'content-mismatch null');
  });
});

describe('restoreDirectory', () => {
  it('replaces the target with the snapshot, as copies that share nothing with the backup', async () => {
    const { source, result, version, root } = await snapshotOf('restore');
    await writeFile(path.join(source, 'index.html'), '<h1>broken</h1>');
    await writeFile(path.join(source, 'stray.tmp'), 'made after the snapshot');
    const restored = await restoreDirectory(version, source, { tempId: 'r1' });
    assert.deepEqual(restored, { path: source, fileCount: 3, size: 11 + 5000 + 4 });
    assert.deepEqual((await readdir(source)).sort(), ['assets', 'bin', 'current', 'index.html']);
    assert.equal(await readFile(path.join(source, 'index.html'), 'utf8'), '<h1>v1</h1>');
    assert.equal(await readlink(path.join(source, 'current')), 'index.html');
    assert.equal((await stat(path.join(source, 'bin/run'))).mode & 0o7777, 0o711);
    assert.deepEqual(await readdir(path.join(source, 'assets/empty')), []);
    assert.notEqual((await stat(path.join(source, 'index.html'))).ino, (await stat(path.join(result.path, 'index.html'))).ino);
    assert.deepEqual((await readdir(root)).sort(), ['backups', 'site'], 'no temp folder is left beside the target');
  });

  it('restores into a target that does not exist', async () => {
    const { root, version } = await snapshotOf('restore-new');
    const target = path.join(root, 'copy-of-site');
    await restoreDirectory(version, target, { tempId: 'r2' });
    assert.equal(await readFile(path.join(target, 'index.html'), 'utf8'), '<h1>v1</h1>');
  });

  it('refuses a damaged snapshot with SNAPSHOT_DAMAGED and leaves the target as it was', async () => {
    const { source, result, version, root } = await snapshotOf('restore-damaged');
    await writeFile(path.join(source, 'index.html'), 'current work');
    await flipByte(path.join(result.path, 'assets/logo.png'), 0, { keepTimes: true });
    await assert.rejects(restoreDirectory(version, source, { tempId: 'r3' }), SnapshotDamagedError);
    assert.equal(await readFile(path.join(source, 'index.html'), 'utf8'), 'current work');
    assert.deepEqual((await readdir(root)).sort(), ['backups', 'site']);
    await assert.rejects(restoreDirectory({ ...version, sha256: '0'.repeat(64) }, source, { tempId: 'r4' }), (error: unknown) => {
      assert.ok(error instanceof SnapshotDamagedError);
      // Clients see this message: it names the snapshot, never the backup folder.
      assert.match(error.message, /snapshot site\.1 is not the one registered/);
      assert.ok(!error.message.includes(root), error.message);
      return true;
    });
  });
});

describe('a crafted snapshot', () => {
  it('whose manifest names a path outside the tree is refused by restore and verification, and nothing is written outside', async () => {
    const root = await tempDir('restore-escape');
    const snapshot = path.join(root, 'backups', 'evil.1');
    await mkdir(path.join(snapshot), { recursive: true });
    const manifest = {
      format: 1, sourcePath: '/x', excludes: [], root: { mode: 0o755, mtimeNs: '0' }, skipped: [],
      entries: [{ type: 'file', path: '../../escaped.txt', mode: 0o644, mtimeNs: '0', size: 1, sha256: 'a'.repeat(64), source: { mtimeNs: '0', ctimeNs: '0', ino: '1', dev: '1' } }],
    };
    const bytes = gzipSync(JSON.stringify(manifest));
    await writeFile(manifestPathOf(snapshot), bytes);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    await assert.rejects(restoreDirectory({ path: snapshot, sha256, kind: 'directory' }, path.join(root, 'target'), { tempId: 'e' }), SnapshotDamagedError);
    const checked = await checkSnapshot(snapshot, sha256);
    assert.equal(checked.kind === 'damaged' && checked.reason, 'content-mismatch');
    assert.deepEqual((await readdir(root)).sort(), ['backups']);
  });
});

describe('recoverDirectoryRestore (the next start after a crash mid-restore)', () => {
  it('puts the old tree back when the crash came between the swap\'s two renames', async () => {
    const { root } = await snapshotOf('recover-between');
    const target = path.join(root, 'site');
    const { incoming, outgoing } = restoreTempPaths(target, 'c1');
    await mkdir(incoming);
    await rename(target, outgoing);
    const done = await recoverDirectoryRestore(target);
    assert.equal(done.length, 2);
    assert.equal(await readFile(path.join(target, 'index.html'), 'utf8'), '<h1>v1</h1>');
    assert.deepEqual((await readdir(root)).sort(), ['backups', 'site']);
  });

  it('removes the old tree when the swap had finished, and a half-built new one', async () => {
    const { root } = await snapshotOf('recover-after');
    const target = path.join(root, 'site');
    const { outgoing } = restoreTempPaths(target, 'c2');
    await writeTree(outgoing, { 'old.txt': 'the tree before the restore' });
    await writeTree(restoreTempPaths(target, 'c3').incoming, { 'half.txt': 'x' });
    await recoverDirectoryRestore(target);
    assert.deepEqual((await readdir(root)).sort(), ['backups', 'site']);
    assert.equal(await readFile(path.join(target, 'index.html'), 'utf8'), '<h1>v1</h1>');
    assert.deepEqual(await recoverDirectoryRestore(target), [], 'nothing left to do');
  });
});

describe('restore temp names beside a target whose name is near 255 bytes', () => {
  const longName = `${'é'.repeat(100)}${'n'.repeat(50)}`; // 250 bytes: the temp name must not grow it past 255

  it('restores a tree to such a target, and the next start still finds its temp folders', async () => {
    const { root, version } = await snapshotOf('long-name');
    const target = path.join(root, longName);
    assert.equal(Buffer.byteLength(path.basename(target)), 250);
    await restoreDirectory(version, target, { tempId: 'restore_V1StGXR8_Z5jdHi6B-myT' });
    assert.equal(await readFile(path.join(target, 'index.html'), 'utf8'), '<h1>v1</h1>');

    const { incoming, outgoing } = restoreTempPaths(target, 'restore_V1StGXR8_Z5jdHi6B-myT');
    assert.ok(Buffer.byteLength(path.basename(incoming)) <= 255 && Buffer.byteLength(path.basename(outgoing)) <= 255);
    await mkdir(incoming);
    await rename(target, outgoing);
    assert.equal((await recoverDirectoryRestore(target)).length, 2);
    assert.equal(await readFile(path.join(target, 'index.html'), 'utf8'), '<h1>v1</h1>');
    assert.deepEqual((await readdir(root)).sort(), ['backups', 'site', longName].sort());
  });

  it('keeps two long names that differ only at the end apart', () => {
    const a = restoreTempPaths(`/x/${'a'.repeat(200)}1`, 't').incoming;
    const b = restoreTempPaths(`/x/${'a'.repeat(200)}2`, 't').incoming;
    assert.notEqual(a, b);
  });

  it('restores a single file to such a target', async () => {
    const root = await tempDir('long-file');
    const versionPath = path.join(root, 'v1');
    await writeFile(versionPath, 'hello');
    const target = path.join(root, longName);
    await restoreFile({ versionPath, sha256: createHash('sha256').update('hello').digest('hex'), size: 5, target, tempId: 'restore_V1StGXR8_Z5jdHi6B-myT', replace: false });
    assert.equal(await readFile(target, 'utf8'), 'hello');
    assert.deepEqual((await readdir(root)).sort(), ['v1', longName].sort());
  });
});

describe('settling interrupted directory restores at start', () => {
  it('reports a target it cannot settle and starts anyway, so one unwritable folder does not keep the service down', async () => {
    const root = await tempDir('settle-fails');
    const source = await writeTree(path.join(root, 'docs'), { 'a.md': 'a' });
    const dataDir = path.join(root, 'data');
    const first = await startTestHost(dataDir, { jobs: [{ sourcePath: source, intervalMs: 60_000 }] });
    first.clock.advance(0);
    assert.equal((await first.host.request('backup.run', {})).version.kind, 'directory');
    await first.host.stop();

    const bus = new Bus();
    const loaded = new Promise<BusEvents['backup.jobs.loaded']>((resolve) => bus.on('backup.jobs.loaded', resolve));
    const denied: BackupFiles = {
      ...localBackupFiles,
      recoverDirectoryRestore: () => Promise.reject(Object.assign(new Error('permission denied'), { code: 'EACCES' })),
    };
    const { host } = await startTestHost(dataDir, { jobs: [{ sourcePath: source, intervalMs: 60_000 }] }, undefined, { bus, files: denied });
    assert.deepEqual((await loaded).restoresSettled, [`${source}: could not be settled (EACCES); it is tried again at the next start`]);
    await host.stop();
  });
});
