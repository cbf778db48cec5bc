import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, rm, stat, truncate, writeFile, utimes } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from '../helpers/temp-dir.ts';
import { collect, startTestHost, writeSource, START } from '../helpers/host-harness.ts';
import { VirtualClock } from '../../src/clock/virtual-clock.ts';
import { partialCopies, partialCopyAppears } from '../helpers/partial-copy.ts';
import { TestClient } from '../helpers/test-client.ts';

const MINUTE = 60_000;

/** Gives a file a new mtime, so that an edit within the same clock tick still looks changed. */
async function touchLater(filePath: string, seconds: number) {
  const when = new Date(Date.now() + seconds * 1000);
  await utimes(filePath, when, when);
}

describe('backup host on a virtual clock', () => {
  it('takes a first backup at once and then one every interval', async () => {
    const root = await tempDir('host');
    const source = await writeSource(root, 'notes.json', '{"v":1}');
    const { host, clock } = await startTestHost(path.join(root, 'data'), { jobs: [{ sourcePath: source, intervalMs: MINUTE }] });
    const completed = collect(host, 'backup.completed');

    clock.advance(0);
    const first = await completed.next();
    assert.equal(first.kind, 'copied');
    assert.equal(await readFile(first.version.path, 'utf8'), '{"v":1}');
    assert.equal(path.extname(first.version.path), '.json');

    await writeFile(source, '{"v":2}');
    await touchLater(source, 5);
    clock.advance(MINUTE - 1);
    assert.equal(host.jobs()[0]?.state, 'scheduled');
    clock.advance(1);
    assert.equal(host.jobs()[0]?.state, 'copying');
    const second = await completed.next();
    assert.equal(second.kind, 'copied');
    assert.equal(await readFile(second.version.path, 'utf8'), '{"v":2}');
    assert.equal(host.newestVersion()?.path, second.version.path);
    assert.equal(await readFile(first.version.path, 'utf8'), '{"v":1}', 'older versions stay as they were');
    await host.stop();
  });

  it('reports an unchanged source as done (unchanged) and makes no new version', async () => {
    const root = await tempDir('host');
    const source = await writeSource(root, 'notes.json', 'same');
    const { host, clock } = await startTestHost(path.join(root, 'data'), { jobs: [{ sourcePath: source, intervalMs: MINUTE }] });
    const completed = collect(host, 'backup.completed');
    clock.advance(0);
    await completed.next();
    clock.advance(MINUTE);
    const again = await completed.next();
    assert.equal(again.kind, 'unchanged');
    assert.equal(host.versions('notes.json').length, 1);
    await host.stop();
  });

  it('names versions so they sort by time, and keeps two in the same second apart', async () => {
    const root = await tempDir('host');
    const source = await writeSource(root, 'notes.json', 'one');
    const { host, clock } = await startTestHost(path.join(root, 'data'), { jobs: [{ sourcePath: source, intervalMs: MINUTE }] });
    const completed = collect(host, 'backup.completed');
    clock.advance(0);
    await completed.next();
    await writeFile(source, 'two, longer');
    const second = await host.runBackup();
    const versions = host.versions('notes.json');
    assert.equal(versions.length, 2);
    assert.equal(versions[0]?.createdAt, versions[1]?.createdAt, 'both made at the same virtual instant');
    assert.notEqual(versions[0]?.path, versions[1]?.path);
    assert.deepEqual([...(await readdir(path.dirname(second.version.path)))].sort(), versions.map((v) => path.basename(v.path)));
    await host.stop();
  });

  it('keeps only the newest --keep versions, deleting older files after the new one is registered', async () => {
    const root = await tempDir('host');
    const source = await writeSource(root, 'notes.txt', 'v0');
    const { host, clock } = await startTestHost(path.join(root, 'data'), { jobs: [{ sourcePath: source, intervalMs: MINUTE, keep: 2 }] });
    const completed = collect(host, 'backup.completed');
    const pruned = collect(host, 'backup.pruned');
    clock.advance(0);
    await completed.next();
    for (let i = 1; i <= 3; i++) {
      await writeFile(source, `v${i}${'!'.repeat(i)}`);
      await host.runBackup();
    }
    const kept = host.versions('notes.txt');
    assert.deepEqual(await Promise.all(kept.map((v) => readFile(v.path, 'utf8'))), ['v2!!', 'v3!!!']);
    assert.equal((await readdir(path.dirname(kept[0]!.path))).length, 2);
    assert.equal(pruned.seen.length, 2);
    await host.stop();
  });

  it('reports a missing source as a failed run, keeps earlier versions and keeps answering', async () => {
    const root = await tempDir('host');
    const source = await writeSource(root, 'notes.json', 'precious');
    const { host, clock } = await startTestHost(path.join(root, 'data'), { jobs: [{ sourcePath: source, intervalMs: MINUTE, keep: 1 }] });
    const completed = collect(host, 'backup.completed');
    const failed = collect(host, 'backup.failed');
    clock.advance(0);
    const good = await completed.next();
    await rm(source);

    await assert.rejects(host.runBackup(), { code: 'SOURCE_NOT_FOUND' });
    const failure = await failed.next();
    assert.equal(failure.error.code, 'SOURCE_NOT_FOUND');
    assert.equal(host.newestVersion()?.path, good.version.path);
    assert.equal(await readFile(good.version.path, 'utf8'), 'precious', 'a failed run rotates nothing away');

    // The retry (backoff 1 s) picks the source up once it is back.
    await writeFile(source, 'restored');
    clock.advance(1_000);
    const recovered = await completed.next();
    assert.equal(await readFile(recovered.version.path, 'utf8'), 'restored');
    await host.stop();
  });

  it('resumes jobs after a restart and runs at once one whose last version is older than its interval', async () => {
    const root = await tempDir('host');
    const dataDir = path.join(root, 'data');
    const source = await writeSource(root, 'notes.json', 'v1');
    const clock = new VirtualClock(START);
    const first = await startTestHost(dataDir, { jobs: [{ sourcePath: source, intervalMs: 10 * MINUTE }] }, clock);
    const completed = collect(first.host, 'backup.completed');
    clock.advance(0);
    await completed.next();
    await first.host.stop();

    // Restarted 3 minutes later, with no job given: the saved job resumes, due 7 minutes from now.
    clock.advance(3 * MINUTE);
    await writeFile(source, 'v2 changed');
    const second = await startTestHost(dataDir, {}, clock);
    assert.deepEqual(second.host.jobs().map((job) => [job.id, job.state]), [['notes.json', 'scheduled']]);
    const resumed = collect(second.host, 'backup.completed');
    clock.advance(7 * MINUTE - 1);
    assert.equal(second.host.jobs()[0]?.state, 'scheduled');
    clock.advance(1);
    assert.equal(second.host.jobs()[0]?.state, 'copying');
    assert.equal((await resumed.next()).kind, 'copied');
    await second.host.stop();

    // Restarted an hour later: overdue, so it runs at once.
    clock.advance(60 * MINUTE);
    const third = await startTestHost(dataDir, {}, clock);
    const overdue = collect(third.host, 'backup.completed');
    clock.advance(0);
    assert.equal(third.host.jobs()[0]?.state, 'copying');
    assert.equal((await overdue.next()).jobId, 'notes.json');
    assert.equal(third.host.versions('notes.json').length, 2);
    await third.host.stop();
  });

  it('does not offer a version whose file has disappeared', async () => {
    const root = await tempDir('host');
    const dataDir = path.join(root, 'data');
    const source = await writeSource(root, 'notes.json', 'v1');
    const first = await startTestHost(dataDir, { jobs: [{ sourcePath: source, intervalMs: MINUTE }] });
    const completed = collect(first.host, 'backup.completed');
    first.clock.advance(0);
    const { version } = await completed.next();
    await first.host.stop();
    await rm(version.path);
    const second = await startTestHost(dataDir, { jobs: [] });
    assert.equal(second.host.newestVersion('notes.json'), null);
    await second.host.stop();
  });

  it('gives jobs for two files with the same name distinct ids and folders', async () => {
    const root = await tempDir('host');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(path.join(root, 'a'));
    await mkdir(path.join(root, 'b'));
    const a = await writeSource(path.join(root, 'a'), 'notes.json', 'A');
    const b = await writeSource(path.join(root, 'b'), 'notes.json', 'B');
    const { host, clock } = await startTestHost(path.join(root, 'data'), {
      jobs: [{ sourcePath: a, intervalMs: MINUTE }, { sourcePath: b, intervalMs: MINUTE }],
    });
    const completed = collect(host, 'backup.completed');
    clock.advance(0);
    await completed.next();
    await completed.next();
    assert.deepEqual(host.jobs().map((job) => job.id), ['notes.json', 'notes.json-2']);
    assert.equal(await readFile(host.newestVersion('notes.json-2')!.path, 'utf8'), 'B');
    assert.equal(await readFile(host.newestVersion()!.path, 'utf8'), 'A', 'the first job is the default');
    await host.stop();
  });

  it('writes version files and the catalog owner-only', async () => {
    const root = await tempDir('host');
    const source = await writeSource(root, 'notes.json', 'v1');
    const dataDir = path.join(root, 'data');
    const { host, clock } = await startTestHost(dataDir, { jobs: [{ sourcePath: source, intervalMs: MINUTE }] });
    const completed = collect(host, 'backup.completed');
    clock.advance(0);
    const { version } = await completed.next();
    assert.equal((await stat(version.path)).mode & 0o777, 0o600);
    const catalogDir = path.join(dataDir, 'store', 'backup.versions');
    assert.equal((await stat(catalogDir)).mode & 0o777, 0o700);
    for (const name of await readdir(catalogDir)) assert.equal((await stat(path.join(catalogDir, name))).mode & 0o777, 0o600, name);
    await host.stop();
  });

  it('abandons a running copy on stop: the waiting request gets COPY_ABORTED and no temp file is left', async () => {
    const root = await tempDir('host');
    const source = await writeSource(root, 'big.bin', '');
    await truncate(source, 256 * 1024 * 1024);
    const dataDir = path.join(root, 'data');
    const { host } = await startTestHost(dataDir, { jobs: [{ sourcePath: source, intervalMs: 60 * MINUTE }] });
    // Settled into a value at once: it rejects during stop(), before an assertion could attach.
    const requested = host.runBackup().then(
      () => 'completed',
      (error: { code?: string }) => error.code,
    );
    const jobDir = path.join(dataDir, 'backups', 'big.bin');
    await partialCopyAppears(jobDir);
    await host.stop();
    assert.equal(await requested, 'COPY_ABORTED');
    assert.deepEqual(await partialCopies(jobDir), []);
    assert.equal(host.newestVersion(), null);
  });

  it('never returns the copy in progress: revert answers the previous complete version meanwhile', async () => {
    const root = await tempDir('host');
    const source = await writeSource(root, 'data.bin', 'small v1');
    const dataDir = path.join(root, 'data');
    const { host, clock } = await startTestHost(dataDir, {
      jobs: [{ sourcePath: source, intervalMs: 60 * MINUTE }],
      socket: { host: '127.0.0.1', port: 0 },
    });
    const completed = collect(host, 'backup.completed');
    clock.advance(0);
    const v1 = (await completed.next()).version;
    await truncate(source, 256 * 1024 * 1024);
    const running = host.runBackup();
    await partialCopyAppears(path.join(dataDir, 'backups', 'data.bin'));
    const client = await TestClient.connect(host.address!.port);
    client.send('revert\n');
    assert.deepEqual(await client.lines(1), [v1.path]);
    const v2 = (await running).version;
    client.send('revert\n');
    assert.deepEqual(await client.lines(1), [v2.path]);
    assert.equal((await stat(v2.path)).size, 256 * 1024 * 1024);
    client.destroy();
    await host.stop();
  });
});
