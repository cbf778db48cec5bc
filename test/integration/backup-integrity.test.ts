import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Bus } from '../../src/bus/bus.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { flipByte } from '../helpers/flip-byte.ts';
import { collect, startTestHost, writeSource } from '../helpers/host-harness.ts';
import type { Host } from '../../src/host/host.ts';

const MINUTE = 60_000;

/** A host with one job on `notes.json`, after its first backup. */
async function hostWithOneVersion(content = 'version one') {
  const root = await tempDir('integrity');
  const source = await writeSource(root, 'notes.json', content);
  const dataDir = path.join(root, 'data');
  const started = await startTestHost(dataDir, { jobs: [{ sourcePath: source, intervalMs: MINUTE }] });
  const completed = collect(started.host, 'backup.completed');
  started.clock.advance(0);
  const first = await completed.next();
  return { ...started, root, source, dataDir, completed, first };
}

async function revertPath(host: Host): Promise<string | null> {
  return (await host.request('backup.revert', {})).version?.path ?? null;
}

describe('verify re-hashes every version against the catalog', () => {
  it('finds a version file with one byte flipped (same size, same mtime) and reports it on the bus', async () => {
    const { host, first } = await hostWithOneVersion();
    const damaged = collect(host, 'backup.version.damaged');
    await flipByte(first.version.path, 3, { keepTimes: true });

    const result = await host.request('backup.verify', {});
    assert.equal(result.checked, 1);
    assert.equal(result.damaged, 1);
    const [check] = result.versions;
    assert.equal(check?.versionId, first.version.id);
    assert.equal(check?.jobId, 'notes.json');
    assert.equal(check?.damaged, true);
    assert.equal(check?.expectedSha256, first.version.sha256);
    assert.notEqual(check?.actualSha256, first.version.sha256);
    assert.equal(check?.reason, 'content-mismatch');
    const event = await damaged.next();
    assert.equal(event.versionId, first.version.id);
    assert.equal(event.reason, 'content-mismatch');
    await host.stop();
  });

  it('counts intact versions as intact', async () => {
    const { host, first } = await hostWithOneVersion();
    const result = await host.request('backup.verify', {});
    assert.deepEqual(
      result.versions.map((check) => [check.versionId, check.damaged, check.actualSha256]),
      [[first.version.id, false, first.version.sha256]],
    );
    assert.equal(result.damaged, 0);
    await host.stop();
  });
});

describe('a damaged version is quarantined', () => {
  it('is never offered by revert again, durably, and the next run copies the unchanged source again', async () => {
    const { host, clock, first, completed, dataDir, source } = await hostWithOneVersion();
    await flipByte(first.version.path, 0, { keepTimes: true });
    await host.request('backup.verify', {});
    assert.equal(await revertPath(host), null, 'the only version is damaged: nothing to offer');

    clock.advance(MINUTE);
    const again = await completed.next();
    assert.equal(again.kind, 'copied', 'an unchanged source is copied again when its newest version is damaged');
    assert.notEqual(again.version.path, first.version.path);
    assert.equal(await readFile(again.version.path, 'utf8'), 'version one');
    assert.equal(await revertPath(host), again.version.path);
    await host.stop();

    // The mark survived a restart.
    const restarted = await startTestHost(dataDir, { jobs: [{ sourcePath: source, intervalMs: MINUTE }] });
    assert.deepEqual(restarted.host.versions('notes.json').map((version) => version.id), [again.version.id]);
    const verified = await restarted.host.request('backup.verify', {});
    assert.deepEqual(verified.versions.map((check) => [check.versionId, check.damaged]), [[first.version.id, true], [again.version.id, false]]);
    await restarted.host.stop();
  });

  it('offers the newest intact version when the newest one is damaged', async () => {
    const { host, clock, first, completed, source } = await hostWithOneVersion();
    await writeFile(source, 'version two');
    await utimes(source, new Date(Date.now() + 5_000), new Date(Date.now() + 5_000));
    clock.advance(MINUTE);
    const second = await completed.next();
    assert.equal(second.kind, 'copied');
    await flipByte(second.version.path, 0, { keepTimes: true });
    await host.request('backup.verify', {});
    assert.equal(await revertPath(host), first.version.path);
    await host.stop();
  });
});

describe('revert checks the recorded fingerprint of the version file', () => {
  it('skips a version whose file changed since it was registered, reports it, and sends it to verification', async () => {
    const { host, clock, first, completed, source } = await hostWithOneVersion();
    await writeFile(source, 'version two');
    await utimes(source, new Date(Date.now() + 5_000), new Date(Date.now() + 5_000));
    clock.advance(MINUTE);
    const second = await completed.next();
    const mismatch = collect(host, 'backup.version.mismatch');
    const damaged = collect(host, 'backup.version.damaged');

    await flipByte(second.version.path, 0); // mtime moves
    assert.equal(await revertPath(host), first.version.path);
    assert.equal((await mismatch.next()).versionId, second.version.id);
    assert.equal((await damaged.next()).versionId, second.version.id, 'the verification it triggered finds the damage');
    await host.stop();
  });

  it('trusts the newest version for one second after a stat found it matching, then stats it again', async () => {
    const { host, clock, first } = await hostWithOneVersion();
    const mismatch = collect(host, 'backup.version.mismatch');
    assert.equal(await revertPath(host), first.version.path);
    await flipByte(first.version.path, 0);
    clock.advance(999);
    assert.equal(await revertPath(host), first.version.path, 'within the second: no stat, the same answer');
    clock.advance(1);
    assert.equal(await revertPath(host), null, 'a second on: the change is found');
    assert.equal((await mismatch.next()).versionId, first.version.id);
    await host.stop();
  });

  it('offers a version again once verification finds its bytes intact (only its mtime moved)', async () => {
    const { host, first } = await hostWithOneVersion();
    const verified = collect(host, 'backup.verified');
    await utimes(first.version.path, new Date(Date.now() + 9_000), new Date(Date.now() + 9_000));
    assert.equal(await revertPath(host), null);
    await verified.next();
    assert.equal(await revertPath(host), first.version.path);
    await host.stop();
  });
});

describe('catalog records carry their own digest', () => {
  it('quarantines a version whose catalogued sha256 was changed, on the next start', async () => {
    const { host, first, dataDir, source } = await hostWithOneVersion();
    await host.stop();
    const shardDir = path.join(dataDir, 'store', 'backup.versions');
    for (const name of (await readdir(shardDir)).filter((entry) => entry.startsWith('shard-'))) {
      const text = await readFile(path.join(shardDir, name), 'utf8');
      if (text.includes(first.version.sha256)) await writeFile(path.join(shardDir, name), text.replace(first.version.sha256, 'f'.repeat(64)));
    }
    const restarted = await startTestHost(dataDir, { jobs: [{ sourcePath: source, intervalMs: MINUTE }] });
    assert.equal(restarted.host.newestVersion('notes.json'), null);
    const result = await restarted.host.request('backup.verify', {});
    assert.deepEqual(result.versions.map((check) => [check.versionId, check.damaged, check.reason]), [[first.version.id, true, 'record-damaged']]);
    await restarted.host.stop();
  });

  it('does not schedule a job whose record was changed, reports it, and gives a new job for that source its own id', async () => {
    const { host, dataDir, root } = await hostWithOneVersion();
    await host.stop();
    const shardDir = path.join(dataDir, 'store', 'backup.jobs');
    for (const name of (await readdir(shardDir)).filter((entry) => entry.startsWith('shard-'))) {
      const text = await readFile(path.join(shardDir, name), 'utf8');
      if (text.includes('"intervalMs":60000')) await writeFile(path.join(shardDir, name), text.replace('"intervalMs":60000', '"intervalMs":1'));
    }
    const loadedEvents: { damagedJobIds: readonly string[]; activeJobIds: readonly string[] }[] = [];
    const probe = { name: 'probe', start: async (bus: Bus) => void bus.on('backup.jobs.loaded', (event) => void loadedEvents.push(event)), stop: async () => undefined };
    const resumed = await startTestHost(dataDir, { adapters: [probe] });
    assert.deepEqual(loadedEvents.map((event) => [event.damagedJobIds, event.activeJobIds]), [[['notes.json'], []]]);
    assert.deepEqual(resumed.host.jobs(), []);
    await resumed.host.stop();

    const named = await startTestHost(dataDir, { jobs: [{ sourcePath: path.join(root, 'notes.json'), intervalMs: MINUTE }] });
    assert.deepEqual(named.host.jobs().map((job) => job.id), ['notes.json-2'], 'the damaged record is left for safekeep check, not overwritten');
    await named.host.stop();
  });

  it('never reuses the id of a damaged version record: the next copy gets a new sequence and the damaged record stays', async () => {
    const { host, first, dataDir, source } = await hostWithOneVersion();
    await host.stop();
    const shardDir = path.join(dataDir, 'store', 'backup.versions');
    for (const name of (await readdir(shardDir)).filter((entry) => entry.startsWith('shard-'))) {
      const text = await readFile(path.join(shardDir, name), 'utf8');
      if (text.includes(first.version.sha256)) await writeFile(path.join(shardDir, name), text.replace(first.version.sha256, 'e'.repeat(64)));
    }
    const restarted = await startTestHost(dataDir, { jobs: [{ sourcePath: source, intervalMs: MINUTE }] });
    const completed = collect(restarted.host, 'backup.completed');
    restarted.clock.advance(0);
    const copy = await completed.next();
    assert.equal(copy.kind, 'copied');
    assert.equal(copy.version.id, 'notes.json@2', 'the damaged record keeps notes.json@1');
    const result = await restarted.host.request('backup.verify', {});
    assert.deepEqual(
      result.versions.map((check) => [check.versionId, check.damaged]),
      [['notes.json@2', false], ['notes.json@1', true]],
    );
    assert.ok((await readdir(path.dirname(first.version.path))).includes(path.basename(first.version.path)), "the damaged record's file is not taken for an orphan");
    await restarted.host.stop();
  });
});
