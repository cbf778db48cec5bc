import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { RestoreWouldDeleteError, TargetExistsError } from '../../src/backup/errors.ts';
import type { ForgetReport } from '../../src/backup/forget-report.ts';
import { localBackupFiles } from '../../src/backup/local-backup-files.ts';
import type { BackupFiles } from '../../src/ports/backup-files.ts';
import type { Host } from '../../src/host/host.ts';
import { startTestHost, writeSource } from '../helpers/host-harness.ts';
import { writeTree } from '../helpers/source-tree.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const MINUTE = 60_000;

describe('a directory restore over its source deletes nothing no snapshot holds', () => {
  it('refuses with RESTORE_WOULD_DELETE while the source holds excluded files, and leaves the source as it was', async () => {
    const root = await tempDir('restore-excluded');
    const site = await writeTree(path.join(root, 'site'), { 'index.html': 'v1', 'access.log': 'log 1', 'logs/error.log': 'log 2' });
    const { host } = await startTestHost(path.join(root, 'data'), { jobs: [{ sourcePath: site, intervalMs: MINUTE, excludes: ['*.log'] }] });
    await host.request('backup.run', {});
    await writeFile(path.join(site, 'index.html'), 'v2');

    const refused = await host.request('backup.restore', { version: 1 }).then(() => null, (error: unknown) => error);
    assert.ok(refused instanceof RestoreWouldDeleteError, String(refused));
    assert.match(refused.message, /2 entries/);
    assert.match(refused.message, /another path/);
    assert.doesNotMatch(refused.message, new RegExp(root), 'no server path in a client-facing message');
    assert.equal(await readFile(path.join(site, 'access.log'), 'utf8'), 'log 1');
    assert.equal(await readFile(path.join(site, 'logs/error.log'), 'utf8'), 'log 2');
    assert.equal(await readFile(path.join(site, 'index.html'), 'utf8'), 'v2');
    assert.deepEqual((await readdir(root)).sort(), ['data', 'site'], 'no temp folder left beside the source');
    await host.stop();
  });

  it('refuses while the source holds safekeep\'s own data folder (--source . with the default data dir)', async () => {
    const root = await tempDir('restore-own');
    const source = await writeTree(path.join(root, 'home'), { 'notes.md': 'one' });
    const dataDir = path.join(source, 'safekeep-data');
    const { host } = await startTestHost(dataDir, { jobs: [{ sourcePath: source, intervalMs: MINUTE }] });
    await host.request('backup.run', {});
    await writeFile(path.join(source, 'notes.md'), 'two');

    await assert.rejects(host.request('backup.restore', { version: 1 }), RestoreWouldDeleteError);
    assert.ok((await stat(path.join(dataDir, 'backups'))).isDirectory(), 'the backups are still there');
    assert.equal(host.versions(host.jobs()[0]?.id ?? '').length, 2, 'both versions (the first and the kept current one) are still offered');
    assert.equal(await readFile(path.join(source, 'notes.md'), 'utf8'), 'two');
    await host.stop();
  });

  it('refuses while the source holds a fifo a snapshot skips', async () => {
    const root = await tempDir('restore-fifo');
    const source = await writeTree(path.join(root, 'box'), { 'a.txt': 'one' });
    const { host } = await startTestHost(path.join(root, 'data'), { jobs: [{ sourcePath: source, intervalMs: MINUTE }] });
    await host.request('backup.run', {});
    execFileSync('mkfifo', [path.join(source, 'pipe')]);
    await writeFile(path.join(source, 'a.txt'), 'two');

    await assert.rejects(host.request('backup.restore', { version: 1 }), RestoreWouldDeleteError);
    assert.ok((await stat(path.join(source, 'pipe'))).isFIFO());
    await host.stop();
  });

  it('still restores over a source whose only extra entries are new files (the kept current version holds them)', async () => {
    const root = await tempDir('restore-new-only');
    const site = await writeTree(path.join(root, 'site'), { 'index.html': 'v1', 'old.log': 'x' });
    const { host } = await startTestHost(path.join(root, 'data'), { jobs: [{ sourcePath: site, intervalMs: MINUTE, excludes: ['*.log'] }] });
    await host.request('backup.run', {});
    await writeFile(path.join(site, 'index.html'), 'v2');
    await writeFile(path.join(site, 'new.html'), 'new');
    await rm(path.join(site, 'old.log'));

    const restored = await host.request('backup.restore', { version: 1 });
    assert.deepEqual(await readdir(site), ['index.html']);
    assert.ok(restored.previous);
    await host.stop();
  });
});

describe('a directory restore to a new path never overwrites what appeared there meanwhile', () => {
  async function restoreWhileSomethingAppears(label: string, appear: (target: string) => Promise<void>) {
    const root = await tempDir(label);
    const site = await writeTree(path.join(root, 'site'), { 'index.html': 'v1' });
    const target = path.join(root, 'out', 'copy');
    await mkdir(path.dirname(target));
    // Something appears at the target after the host checked it was free, while the tree is built.
    const files: BackupFiles = {
      ...localBackupFiles,
      restoreDirectory: async (request) => {
        await appear(target);
        return localBackupFiles.restoreDirectory(request);
      },
    };
    const { host } = await startTestHost(path.join(root, 'data'), { jobs: [{ sourcePath: site, intervalMs: MINUTE }], allowedPaths: [path.join(root, 'out')] }, undefined, { files });
    await host.request('backup.run', {});
    await assert.rejects(host.request('backup.restore', { version: 1, target }), TargetExistsError);
    await host.stop();
    return { target };
  }

  it('answers TARGET_EXISTS and keeps a folder with the user\'s file in it', async () => {
    const { target } = await restoreWhileSomethingAppears('restore-race-dir', async (at) => {
      await mkdir(at);
      await writeFile(path.join(at, 'mine.txt'), 'mine');
    });
    assert.deepEqual(await readdir(target), ['mine.txt']);
    assert.equal(await readFile(path.join(target, 'mine.txt'), 'utf8'), 'mine');
    assert.deepEqual(await readdir(path.dirname(target)), ['copy'], 'the built tree was removed');
  });

  it('answers TARGET_EXISTS and keeps a file that took the name', async () => {
    const { target } = await restoreWhileSomethingAppears('restore-race-file', (at) => writeFile(at, 'mine'));
    assert.equal(await readFile(target, 'utf8'), 'mine');
    assert.deepEqual(await readdir(path.dirname(target)), ['copy']);
  });
});

describe('a restore pins the version it restores against retention', () => {
  async function twoVersionsThenChange(label: string, kind: 'file' | 'directory', files?: (host: () => Host) => BackupFiles) {
    const root = await tempDir(label);
    const source = kind === 'file' ? await writeSource(root, 'notes.txt', 'one') : await writeTree(path.join(root, 'site'), { 'a.txt': 'one' });
    const write = (content: string) => writeFile(kind === 'file' ? source : path.join(source, 'a.txt'), content);
    // The stand-in file work needs the host it is given to, which only exists once started.
    const started: { host?: Host } = {};
    const internals = files ? { files: files(() => started.host as Host) } : {};
    const { host, clock } = await startTestHost(path.join(root, 'data'), { jobs: [{ sourcePath: source, intervalMs: MINUTE, keep: 2 }] }, undefined, internals);
    started.host = host;
    await host.request('backup.run', {});
    clock.advance(MINUTE);
    await write('two');
    await host.request('backup.run', {});
    clock.advance(MINUTE);
    await write('three');
    const read = () => readFile(kind === 'file' ? source : path.join(source, 'a.txt'), 'utf8');
    return { host, read, jobId: host.jobs()[0]?.id ?? '' };
  }

  for (const kind of ['file', 'directory'] as const) {
    it(`restores @1 of a ${kind} job with --keep-last 2 though the kept current version would prune it`, async () => {
      const { host, read, jobId } = await twoVersionsThenChange(`restore-pin-${kind}`, kind);
      const restored = await host.request('backup.restore', { version: 1 });
      assert.equal(restored.version.id, `${jobId}@1`);
      assert.equal(await read(), 'one');
      assert.equal(restored.previous?.id, `${jobId}@3`);
      // Unpinned once restored: the next prune applies the policy again.
      const report = await host.request('backup.forget', { job: jobId });
      assert.deepEqual(report.removed.map((removed) => removed.versionId), [`${jobId}@1`]);
      await host.stop();
    });
  }

  it('keeps the version from a forget that comes during the restore, as in-use', async () => {
    let report: ForgetReport | undefined;
    const { host, read, jobId } = await twoVersionsThenChange('restore-pin-forget', 'file', (host) => ({
      ...localBackupFiles,
      restoreFile: async (request) => {
        report = await host().request('backup.forget', { job: host().jobs()[0]?.id ?? '', policy: { last: 1 } });
        return localBackupFiles.restoreFile(request);
      },
    }));
    await host.request('backup.restore', { version: 1 });
    assert.equal(await read(), 'one');
    assert.deepEqual(report?.kept.find((kept) => kept.versionId === `${jobId}@1`)?.reasons, [{ rule: 'in-use' }]);
    assert.deepEqual(report?.removed.map((removed) => removed.versionId), [`${jobId}@2`]);
    await host.stop();
  });
});
