import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { localBackupFiles } from '../../src/backup/local-backup-files.ts';
import type { VersionFileFingerprint } from '../../src/backup/version.ts';
import { VirtualClock } from '../../src/clock/virtual-clock.ts';
import { startHost } from '../../src/host/start-host.ts';
import { sequentialIds } from '../../src/ids/ids.ts';
import { VersionDamagedError } from '../../src/index.ts';
import { seededRandom } from '../../src/random/random.ts';
import { START, collect, startTestHost, writeSource } from '../helpers/host-harness.ts';
import { tempDir } from '../helpers/temp-dir.ts';

describe('restore verifies the version by its bytes, not only its fingerprint', () => {
  it('quarantines and refuses a version whose bytes changed though its fingerprint did not, writing nothing', async () => {
    const root = await tempDir('restore-verify');
    const source = await writeSource(root, 'notes.json', '{"v":1}');
    // The file system as a careful forger would leave it: every stat shows the version as it was first seen.
    const firstSeen = new Map<string, VersionFileFingerprint | null>();
    const files = {
      ...localBackupFiles,
      statVersionFile: async (filePath: string) => {
        if (!firstSeen.has(filePath)) firstSeen.set(filePath, await localBackupFiles.statVersionFile(filePath));
        return firstSeen.get(filePath) ?? null;
      },
    };
    const clock = new VirtualClock(START);
    const host = await startHost(
      { dataDir: path.join(root, 'data'), socket: false, clock, ids: sequentialIds(), random: seededRandom('restore'), jobs: [{ sourcePath: source, intervalMs: 60_000 }] },
      { files },
    );
    const { version } = await host.request('backup.run', {});
    await files.statVersionFile(version.path);
    await writeFile(source, '{"v":2}');
    await host.request('backup.run', {});
    await writeFile(version.path, '{"v":9}');
    const damaged = collect(host, 'backup.version.damaged');

    await assert.rejects(host.request('backup.restore', { version: 1 }), VersionDamagedError);
    assert.equal((await damaged.next()).versionId, 'notes.json@1');
    assert.equal(await readFile(source, 'utf8'), '{"v":2}', 'the source was not touched');
    const { versions } = await host.request('backup.versions', {});
    assert.equal(versions.find((listed) => listed.id === 'notes.json@1')?.damaged?.reason, 'content-mismatch');
    assert.equal(versions.length, 2, 'nothing was kept either: the refusal comes before the source is backed up');
    await host.stop();
  });

  it('restores a directory snapshot over the source folder, keeping the current tree first, and undoes it', async () => {
    const root = await tempDir('restore-dir');
    const folder = path.join(root, 'photos');
    await mkdir(folder);
    await writeFile(path.join(folder, 'a.txt'), 'one');
    const { host } = await startTestHost(path.join(root, 'data'), { jobs: [{ sourcePath: folder, intervalMs: 60_000 }] });
    const first = await host.request('backup.run', {});
    assert.equal(first.version.kind, 'directory');
    await writeFile(path.join(folder, 'a.txt'), 'two');
    await writeFile(path.join(folder, 'b.txt'), 'new');

    const restored = await host.request('backup.restore', { version: first.version.seq });
    assert.deepEqual((await readdir(folder)).sort(), ['a.txt']);
    assert.equal(await readFile(path.join(folder, 'a.txt'), 'utf8'), 'one');
    assert.ok(restored.previous, 'the tree as it was is kept first');
    await host.request('backup.restore', { version: restored.previous.id });
    assert.deepEqual((await readdir(folder)).sort(), ['a.txt', 'b.txt']);
    assert.equal(await readFile(path.join(folder, 'a.txt'), 'utf8'), 'two');
    await host.stop();
  });
});
