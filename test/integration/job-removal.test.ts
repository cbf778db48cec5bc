import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { localBackupFiles } from '../../src/backup/local-backup-files.ts';
import { CopyAbortedError } from '../../src/backup/errors.ts';
import { startHost } from '../../src/host/start-host.ts';
import { sequentialIds } from '../../src/ids/ids.ts';
import { seededRandom } from '../../src/random/random.ts';
import { VirtualClock } from '../../src/clock/virtual-clock.ts';
import { START, collect, startTestHost, writeSource } from '../helpers/host-harness.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const MINUTE = 60_000;
const exists = (filePath: string) => stat(filePath).then(() => true, () => false);

async function hostWithTwoVersions() {
  const root = await tempDir('removal');
  const dataDir = path.join(root, 'data');
  const source = await writeSource(root, 'notes.json', 'one');
  const { host, clock } = await startTestHost(dataDir, { jobs: [{ sourcePath: source, intervalMs: MINUTE }], allowedPaths: [root] });
  clock.advance(0);
  await host.runBackup();
  await writeFile(source, 'two');
  await host.runBackup();
  return { root, dataDir, source, host, versions: host.versions('notes.json').map((version) => version.path) };
}

describe('removing a job', () => {
  it('keeps its versions, listable and revertable by id, and it stays removed after a restart without sources', async () => {
    const { dataDir, host, versions } = await hostWithTwoVersions();
    const removed = collect(host, 'backup.job.removed');
    assert.deepEqual(await host.request('job.remove', { job: 'notes.json' }), { jobId: 'notes.json', forgotten: [], kept: 2 });
    assert.deepEqual(await removed.next(), { jobId: 'notes.json', forgotten: [], kept: 2, at: START });
    assert.equal(host.jobs()[0]?.state, 'removed');
    await host.stop();

    const { host: again } = await startTestHost(dataDir);
    assert.equal(again.jobs()[0]?.state, 'removed', 'not resumed');
    assert.equal((await again.request('backup.versions', { job: 'notes.json' })).versions.length, 2);
    assert.equal((await again.request('backup.revert', { job: 'notes.json', version: 1 })).version?.path, versions[0]);
    for (const file of versions) assert.equal(await exists(file), true);
    await again.stop();
  });

  it('with forget, deletes its versions and their files, and they do not come back after a restart', async () => {
    const { dataDir, host, versions } = await hostWithTwoVersions();
    const removal = await host.request('job.remove', { job: 'notes.json', forget: true });
    assert.deepEqual(removal, { jobId: 'notes.json', forgotten: ['notes.json@1', 'notes.json@2'], kept: 0 });
    for (const file of versions) assert.equal(await exists(file), false);
    assert.deepEqual(host.jobs(), []);
    await host.stop();

    const { host: again } = await startTestHost(dataDir);
    assert.deepEqual(again.jobs(), []);
    await assert.rejects(again.request('backup.versions', { job: 'notes.json' }), { code: 'UNKNOWN_JOB' });
    assert.deepEqual(await readdir(path.dirname(versions[0] as string)), []);
    await again.stop();
  });

  it('is undone by naming the source again: --source (jobs) or add makes it active again', async () => {
    const { root, dataDir, source, host } = await hostWithTwoVersions();
    await host.request('job.remove', { job: 'notes.json' });
    const { job } = await host.request('job.add', { source });
    assert.equal(job.id, 'notes.json');
    assert.equal(job.removedAt, undefined);
    assert.notEqual(host.jobs()[0]?.state, 'removed');
    await host.request('job.remove', { job: 'notes.json' });
    await host.stop();

    const { host: again } = await startTestHost(dataDir, { jobs: [{ sourcePath: source, intervalMs: MINUTE }], allowedPaths: [root] });
    assert.notEqual(again.jobs()[0]?.state, 'removed');
    assert.equal(again.jobs()[0]?.versions, 2);
    await again.stop();
  });

  it('abandons a copy the job is running, and the request waiting on it gets COPY_ABORTED', async () => {
    const root = await tempDir('removal');
    const source = await writeSource(root, 'notes.json', 'one');
    let copying: () => void = () => undefined;
    const copyBegan = new Promise<void>((resolve) => (copying = resolve));
    const files = {
      ...localBackupFiles,
      // A copy that never ends on its own: it ends only when it is abandoned.
      copyVersion: ({ signal }: { signal?: AbortSignal }) =>
        new Promise<never>((_, reject) => {
          copying();
          signal?.addEventListener('abort', () => reject(new CopyAbortedError('abandoned')));
        }),
    };
    const clock = new VirtualClock(START);
    const host = await startHost(
      { dataDir: path.join(root, 'data'), socket: false, clock, ids: sequentialIds(), random: seededRandom('removal'), jobs: [{ sourcePath: source, intervalMs: MINUTE }] },
      { files },
    );
    const failed = collect(host, 'backup.failed');
    const waiting = assert.rejects(host.request('backup.run', {}), CopyAbortedError);
    await copyBegan;
    await host.request('job.remove', { job: 'notes.json' });
    await waiting;
    clock.advance(10 * MINUTE);
    assert.equal(failed.seen.length, 0, 'a removed job reports nothing more');
    assert.equal(host.jobs()[0]?.state, 'removed');
    await host.stop();
  });
});
