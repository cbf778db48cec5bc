import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Bus } from '../../src/bus/bus.ts';
import type { BusEvents } from '../../src/bus/events.ts';
import { VirtualClock } from '../../src/clock/virtual-clock.ts';
import { manifestPathOf } from '../../src/backup/snapshot-manifest.ts';
import { TEMP_FILE_PREFIX, versionFileName } from '../../src/backup/version-name.ts';
import { flipByte } from '../helpers/flip-byte.ts';
import { startTestHost, START } from '../helpers/host-harness.ts';
import { writeTree } from '../helpers/source-tree.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const MINUTE = 60_000;

async function directoryJob(label: string, keep: number | null = null) {
  const root = await tempDir(label);
  const source = await writeTree(path.join(root, 'project'), { 'README.md': '# p', 'src/main.ts': 'main()', 'logs/today.log': 'noise', 'src/app.log': 'noise' });
  const dataDir = path.join(root, 'data');
  const jobs = [{ sourcePath: source, intervalMs: MINUTE, keep, excludes: ['*.log'] }];
  const { host } = await startTestHost(dataDir, { jobs });
  return { root, source, dataDir, jobs, host };
}

describe('a directory job in the host', () => {
  it('snapshots the folder, answers revert with the snapshot folder, and makes no version when nothing changed', async () => {
    const { host, source } = await directoryJob('dir-host');
    const first = await host.request('backup.run', { job: 'project' });
    assert.equal(first.outcome, 'copied');
    assert.equal(first.version.kind, 'directory');
    assert.equal(first.version.fileCount, 2);
    assert.equal(first.version.size, 3 + 6);
    assert.deepEqual((await readdir(first.version.path)).sort(), ['README.md', 'logs', 'src'], 'logs/ stays, empty: only *.log is left out');
    assert.equal((await host.request('backup.revert', { job: 'project' })).version?.path, first.version.path);

    const again = await host.request('backup.run', { job: 'project' });
    assert.equal(again.outcome, 'unchanged');
    assert.equal(host.versions('project').length, 1);

    await writeFile(path.join(source, 'src/main.ts'), 'main(2)');
    const second = await host.request('backup.run', { job: 'project' });
    assert.equal(second.outcome, 'copied');
    assert.equal((await stat(path.join(second.version.path, 'README.md'))).ino, (await stat(path.join(first.version.path, 'README.md'))).ino);
    assert.equal(await readFile(path.join(second.version.path, 'src/main.ts'), 'utf8'), 'main(2)');
    assert.equal((await host.request('backup.revert', { job: 'project' })).version?.path, second.version.path);
    await host.stop();
  });

  it('verifies snapshots file by file and quarantines a damaged one', async () => {
    const { host, source } = await directoryJob('dir-verify');
    const first = (await host.request('backup.run', { job: 'project' })).version;
    await writeFile(path.join(source, 'README.md'), '# p2');
    const second = (await host.request('backup.run', { job: 'project' })).version;
    assert.deepEqual((await host.request('backup.verify', {})).damaged, 0);

    // src/main.ts is one inode shared by both snapshots: damage to it is damage to both.
    await flipByte(path.join(second.path, 'src/main.ts'), 0, { keepTimes: true });
    const report = await host.request('backup.verify', {});
    assert.deepEqual(report.versions.map((check) => `${check.versionId} ${check.reason}`), ['project@1 content-mismatch', 'project@2 content-mismatch']);
    assert.equal(host.versions('project').length, 0);
    assert.equal((await host.request('backup.revert', { job: 'project' })).version, null);
    assert.ok(first.path !== second.path);
    await host.stop();
  });

  it('withdraws a snapshot from revert when its manifest changed, until verification looks at it', async () => {
    const { host } = await directoryJob('dir-mismatch');
    const first = (await host.request('backup.run', { job: 'project' })).version;
    await writeFile(manifestPathOf(first.path), 'not a manifest');
    assert.equal((await host.request('backup.revert', { job: 'project' })).version, null);
    await host.stop();
  });

  it('prunes a snapshot beyond keep: its record, then its manifest and tree, leaving the kept one whole', async () => {
    const { host, source, dataDir } = await directoryJob('dir-prune', 1);
    const first = (await host.request('backup.run', { job: 'project' })).version;
    await writeFile(path.join(source, 'README.md'), '# p2');
    const second = (await host.request('backup.run', { job: 'project' })).version;
    const jobDir = path.join(dataDir, 'backups', 'project');
    assert.deepEqual((await readdir(jobDir)).sort(), [path.basename(second.path), path.basename(manifestPathOf(second.path))]);
    assert.equal(await readFile(path.join(second.path, 'src/main.ts'), 'utf8'), 'main()', 'the linked file survived its first snapshot');
    assert.ok(first.path !== second.path);
    assert.deepEqual((await host.request('backup.verify', {})).damaged, 0);
    await host.stop();
  });

  it('at start removes a temp snapshot folder and an uncatalogued snapshot a crash left, and keeps the registered one', async () => {
    const { host, dataDir, jobs } = await directoryJob('dir-leftovers');
    const first = (await host.request('backup.run', { job: 'project' })).version;
    await host.stop();
    const jobDir = path.dirname(first.path);
    await writeTree(path.join(jobDir, `${TEMP_FILE_PREFIX}crashed`), { 'half/file': 'x' });
    await writeFile(manifestPathOf(path.join(jobDir, `${TEMP_FILE_PREFIX}crashed`)), 'half a manifest');
    const orphan = path.join(jobDir, versionFileName(jobs[0]?.sourcePath ?? '', START + 10_000, 2));
    await writeTree(orphan, { 'README.md': '# p' });
    await writeFile(manifestPathOf(orphan), 'renamed into place, never catalogued');

    let loaded: BusEvents['backup.jobs.loaded'] | undefined;
    const adapter = { name: 'probe', start: async (bus: Bus) => void bus.on('backup.jobs.loaded', (event) => void (loaded = event)), stop: async () => undefined };
    const { host: again } = await startTestHost(dataDir, { jobs, adapters: [adapter] }, new VirtualClock(START + 30_000));
    assert.equal(loaded?.leftoversRemoved, 2);
    assert.deepEqual(loaded?.orphansRemoved, [orphan]);
    assert.deepEqual((await readdir(jobDir)).sort(), [path.basename(first.path), path.basename(manifestPathOf(first.path))]);
    assert.equal(again.newestVersion('project')?.path, first.path);
    await again.stop();
  });

  it('leaves its own data and backup folders out of a source that holds them', async () => {
    const root = await tempDir('dir-own');
    const source = await writeTree(path.join(root, 'home'), { 'notes.md': 'n' });
    const { host } = await startTestHost(path.join(source, 'safekeep-data'), { jobs: [{ sourcePath: source, intervalMs: MINUTE }], backupDir: path.join(source, 'elsewhere', 'backups') });
    await host.request('backup.run', { job: 'home' });
    // The first run made elsewhere/backups; the next one sees elsewhere/, the user's folder, and not what is in it.
    const second = (await host.request('backup.run', { job: 'home' })).version;
    assert.deepEqual((await readdir(second.path)).sort(), ['elsewhere', 'notes.md']);
    assert.deepEqual(await readdir(path.join(second.path, 'elsewhere')), []);
    assert.equal((await host.request('backup.run', { job: 'home' })).outcome, 'unchanged', 'a new snapshot in the backups folder does not change the source');
    await host.stop();
  });

  it('keeps a job\'s excludes in the catalog and updates them when the job is given again', async () => {
    const { host, dataDir, jobs } = await directoryJob('dir-excludes');
    assert.deepEqual(host.jobs()[0]?.excludes, ['*.log']);
    await host.stop();
    const { host: again } = await startTestHost(dataDir, { jobs: [{ ...jobs[0], sourcePath: jobs[0]?.sourcePath ?? '', intervalMs: MINUTE, excludes: [] }] });
    assert.equal(again.jobs()[0]?.excludes, undefined);
    await again.stop();
  });
});
