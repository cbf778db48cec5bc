import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, readlink, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { BackupService } from '../../src/backup/backup-service.ts';
import { BackupCatalog } from '../../src/backup/catalog.ts';
import { clusterJobIdFor } from '../../src/backup/cluster-job-id.ts';
import { blobNameOf } from '../../src/backup/version-places.ts';
import type { BackupVersion } from '../../src/backup/version.ts';
import { LeaseLostError } from '../../src/cluster/lease-errors.ts';
import { StoreUnavailableError, StoreWriteFailedError } from '../../src/store/errors.ts';
import { localBackupFiles } from '../../src/backup/local-backup-files.ts';
import { VersionVerifier } from '../../src/backup/version-verifier.ts';
import { Bus } from '../../src/bus/bus.ts';
import { VirtualClock } from '../../src/clock/virtual-clock.ts';
import { sequentialIds } from '../../src/ids/ids.ts';
import { clusterNodes, START, type TestNode } from '../helpers/cluster-backup-nodes.ts';
import { flipByte } from '../helpers/flip-byte.ts';
import { MemoryBlobs } from '../helpers/memory-blobs.ts';
import { openStore } from '../helpers/open-store.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const closers: (() => Promise<void>)[] = [];
after(() => Promise.all(closers.map((close) => close())));

/** Nodes a and c sharing one catalog and one in-memory object store (or none). */
async function twoNodes(options: { blobs?: boolean } = {}) {
  const blobs = new MemoryBlobs();
  const cluster = await clusterNodes(['a', 'c'], () => (options.blobs === false ? {} : { blobs }));
  closers.push(cluster.close);
  const [a, c] = cluster.nodes as [TestNode, TestNode];
  return { ...cluster, a, c, blobs };
}

async function addNotes(node: TestNode, content = 'v1', extra: { shared?: boolean; keep?: number } = {}) {
  const source = path.join(node.root, 'src', 'notes.txt');
  await writeFile(source, content);
  const job = await node.service.upsertJob({ sourcePath: source, intervalMs: 60_000, ...extra });
  return { source, job };
}

async function runOk(node: TestNode, jobId: string) {
  const outcome = await node.service.run(jobId);
  assert.ok(outcome.ok, JSON.stringify(outcome));
  return outcome.version;
}

const filesIn = (directory: string) => readdir(directory).catch(() => [] as string[]);

describe('a backup service on one node (no cluster)', () => {
  it('makes jobs and versions as before: plain ids, no node, no shared mark, nothing cached', async () => {
    const dataDir = await tempDir('single');
    const store = await openStore(path.join(dataDir, 'store'));
    closers.push(store.close);
    const service = new BackupService({ catalog: new BackupCatalog(store.client), bus: new Bus(), clock: new VirtualClock(START), ids: sequentialIds(), backupDir: path.join(dataDir, 'backups'), files: localBackupFiles });
    await service.load();
    const source = path.join(dataDir, 'notes.txt');
    await writeFile(source, 'v1');
    const job = await service.upsertJob({ sourcePath: source, intervalMs: 60_000, shared: true });
    assert.equal(job.id, 'notes.txt');
    assert.equal(job.node, undefined);
    assert.equal(job.shared, undefined);
    const outcome = await service.run(job.id);
    assert.ok(outcome.ok && outcome.version);
    assert.equal(outcome.version.node, undefined);
    assert.equal((await service.forRevert(job.id))?.path, outcome.version.path);
    assert.ok(service.isLocal({ node: 'elsewhere' }), 'on one node every record is this node\u2019s');
  });
});

describe('a data directory that joins a cluster', () => {
  it('keeps its jobs and versions made before (no node): found by path, updated in place, served from this disk', async () => {
    const dataDir = await tempDir('joining');
    const store = await openStore(path.join(dataDir, 'store'));
    closers.push(store.close);
    const make = (node?: string) =>
      new BackupService({ catalog: new BackupCatalog(store.client), bus: new Bus(), clock: new VirtualClock(START), ids: sequentialIds(), backupDir: path.join(dataDir, 'backups'), files: localBackupFiles, ownFolders: [dataDir], ...(node ? { node, blobs: new MemoryBlobs() } : {}) });
    const single = make();
    await single.load();
    const source = path.join(dataDir, 'notes.txt');
    await writeFile(source, 'before');
    const job = await single.upsertJob({ sourcePath: source, intervalMs: 60_000 });
    const before = await single.run(job.id);
    assert.ok(before.ok && before.version);
    const clustered = make('a');
    const report = await clustered.load();
    assert.deepEqual(report.missing, []);
    assert.equal(clustered.findJob(source)?.id, 'notes.txt');
    const updated = await clustered.upsertJob({ sourcePath: source, intervalMs: 120_000 });
    assert.equal(updated.id, 'notes.txt', 'the same job, not a new one');
    assert.equal(clustered.jobs().length, 1);
    assert.equal((await clustered.forRevert(job.id))?.path, before.version.path);
    await writeFile(source, 'after');
    const after = await clustered.run(job.id);
    assert.ok(after.ok && after.version?.node === 'a', 'it runs here, and new versions carry the node');
  });
});

describe('jobs in a cluster', () => {
  it('gives a node\u2019s own job the node and a node-qualified id, and a shared one the same plain id on every node', async () => {
    const { a, c } = await twoNodes();
    const { job } = await addNotes(a);
    assert.equal(job.id, 'notes.txt.a');
    assert.equal(job.node, 'a');
    assert.equal(job.shared, undefined);
    assert.equal(c.service.job('notes.txt.a')?.node, 'a', 'c sees a\u2019s job through the shared catalog');
    const { job: cJob } = await addNotes(c);
    assert.equal(cJob.id, 'notes.txt.c', 'c\u2019s notes.txt is another file, so another job');
    const sharedSource = path.join(a.root, 'src', 'shared.txt');
    await writeFile(sharedSource, 's');
    const sharedOnA = await a.service.upsertJob({ sourcePath: sharedSource, intervalMs: 60_000, shared: true });
    const sharedOnC = await c.service.upsertJob({ sourcePath: sharedSource, intervalMs: 60_000, shared: true });
    assert.equal(sharedOnA.id, 'shared.txt');
    assert.equal(sharedOnA.shared, true);
    assert.equal(sharedOnA.node, undefined);
    assert.equal(sharedOnC.id, 'shared.txt', 'the same shared source is one job');
  });

  it('finds a job by path only among this node\u2019s own and shared jobs, and by its name without the node', async () => {
    const { a, c } = await twoNodes();
    const { source } = await addNotes(a);
    assert.equal(a.service.findJob(source)?.id, 'notes.txt.a');
    assert.equal(c.service.findJob(source), undefined, 'a\u2019s path names nothing on c');
    assert.equal(a.service.findJob('notes.txt')?.id, 'notes.txt.a');
    assert.equal(c.service.findJob('notes.txt'), undefined);
    assert.equal(c.service.findJob('notes.txt.a')?.id, 'notes.txt.a', 'by its full id from anywhere');
  });

  it('never gives two nodes adding the same name at the same moment the same id', async () => {
    const { a, c } = await twoNodes();
    const [onA, onC] = await Promise.all([addNotes(a), addNotes(c)]);
    assert.notEqual(onA.job.id, onC.job.id);
    assert.equal(a.service.jobs().length, 2);
    assert.equal(c.service.jobs().length, 2);
  });
});

describe('versions in a cluster', () => {
  it('stamps new versions with their node and puts their bytes in the object store before the catalog', async () => {
    const { a, c, blobs, store } = await twoNodes();
    const { job } = await addNotes(a, 'hello from a');
    const version = await runOk(a, job.id);
    assert.equal(version?.node, 'a');
    assert.equal(version?.blob, `${version!.id}~a~copy_1`, 'its blob is named for this node and this attempt');
    assert.equal(blobs.blobs.get(blobNameOf(version!))?.toString(), 'hello from a');
    const stored = await store.client.get<{ node?: string }>('backup.versions', version!.id);
    assert.equal(stored?.node, 'a');
    assert.deepEqual(c.service.versions(job.id).map((listed) => listed.id), [version!.id], 'c sees it at once');
  });

  it('offers another node\u2019s versions without a local file and never marks them damaged or missing', async () => {
    const { a, c, restart } = await twoNodes();
    const { job } = await addNotes(a);
    const version = await runOk(a, job.id);
    assert.equal((await c.service.revertable(job.id))?.id, version!.id);
    assert.equal(await c.service.servable(version!), true);
    const verifier = new VersionVerifier({ service: c.service, files: localBackupFiles, bus: c.bus, clock: c.clock });
    const report = await verifier.verifyAll({ trigger: 'request' });
    assert.equal(report.damaged, 0);
    assert.equal(report.checked, 0, 'c checks only what its own disk holds');
    assert.equal((await verifier.verifyOne(version!)).checked, 0);
    assert.equal(c.service.record(version!.id)?.damaged, undefined);
    const c2 = await restart('c');
    const loaded = await c2.service.load();
    assert.deepEqual(loaded.missing, [], 'not missing at load either');
    assert.deepEqual(c2.service.versions(job.id).map((listed) => listed.id), [version!.id]);
    assert.deepEqual(loaded.orphansRemoved, []);
  });

  it('answers revert of another node\u2019s version with a verified copy in this node\u2019s cache, reused while it is unchanged', async () => {
    const { a, c, blobs } = await twoNodes();
    const { job } = await addNotes(a, 'the bytes');
    const version = await runOk(a, job.id);
    const served = await c.service.forRevert(job.id);
    assert.ok(served);
    assert.equal(served.id, version!.id);
    assert.equal(served.path, path.join(c.root, 'data', 'cache', job.id, path.basename(version!.path)));
    assert.equal(await readFile(served.path, 'utf8'), 'the bytes');
    assert.equal(blobs.calls.get, 1);
    assert.equal((await c.service.forRevert(job.id))?.path, served.path);
    assert.equal(blobs.calls.get, 1, 'an unchanged cached copy is reused after one stat');
    await flipByte(served.path);
    const again = await c.service.forRevert(job.id);
    assert.equal(blobs.calls.get, 2, 'a cached copy changed since it was verified is fetched again');
    assert.equal(await readFile(again!.path, 'utf8'), 'the bytes');
    assert.equal((await a.service.forRevert(job.id))?.path, version!.path, 'its maker answers its own file');
  });

  it('shares one download between concurrent reverts of one version', async () => {
    const { a, c, blobs } = await twoNodes();
    const { job } = await addNotes(a);
    await runOk(a, job.id);
    const served = await Promise.all([c.service.forRevert(job.id), c.service.forRevert(job.id), c.service.forRevert(job.id)]);
    assert.equal(new Set(served.map((version) => version?.path)).size, 1);
    assert.equal(blobs.calls.get, 1);
  });

  it('tries a download that does not hash right once more, then refuses with VERSION_UNAVAILABLE, leaves no file, and marks nothing damaged', async () => {
    const { a, c, blobs } = await twoNodes();
    const { job } = await addNotes(a);
    const version = await runOk(a, job.id);
    blobs.corruptGets = 1;
    assert.equal(await readFile((await c.service.forRevert(job.id))!.path, 'utf8'), 'v1', 'one bad download is retried');
    const cacheFolder = path.join(c.root, 'data', 'cache', job.id);
    await flipByte(path.join(cacheFolder, path.basename(version!.path)));
    blobs.corruptGets = 2;
    await assert.rejects(c.service.forRevert(job.id), (error: Error & { code?: string }) => error.code === 'VERSION_UNAVAILABLE' && /twice/.test(error.message));
    assert.deepEqual(await filesIn(cacheFolder), [], 'neither the bad bytes nor a temp file are left');
    assert.equal(c.service.record(version!.id)?.damaged, undefined);
    assert.equal(a.service.record(version!.id)?.damaged, undefined);
    assert.equal((await c.service.forRevert(job.id))?.id, version!.id, 'served once the store gives the right bytes');
  });

  it('without an object store, refuses revert of another node\u2019s version naming the node and the flag', async () => {
    const { a, c } = await twoNodes({ blobs: false });
    const { job } = await addNotes(a);
    const version = await runOk(a, job.id);
    await assert.rejects(c.service.forRevert(job.id), (error: Error & { code?: string }) => error.code === 'VERSION_NOT_HERE' && error.message.includes("node 'a'") && error.message.includes('--version-store nats'));
    await assert.rejects(c.service.materialise(version!), { code: 'VERSION_NOT_HERE' });
    assert.equal((await a.service.forRevert(job.id))?.id, version!.id);
  });
});

describe('applyRemote', () => {
  it('applies added, changed and deleted jobs and versions, quarantine marks included, and deletes cached copies of versions that left', async () => {
    const { a, c } = await twoNodes();
    const { job, source } = await addNotes(a, 'one');
    const first = await runOk(a, job.id);
    a.clock.advance(60_000);
    await writeFile(source, 'two');
    const second = await runOk(a, job.id);
    assert.deepEqual(c.service.versions(job.id).map((version) => version.seq), [1, 2]);
    const cached = (await c.service.forRevert(job.id))!.path;
    await a.service.markDamaged(first!, 'content-mismatch', 'f'.repeat(64));
    assert.deepEqual(c.service.versions(job.id).map((version) => version.seq), [2], 'a quarantined version is withdrawn on c too');
    assert.equal(c.service.record(first!.id)?.damaged?.reason, 'content-mismatch');
    await a.service.upsertJob({ sourcePath: source, intervalMs: 120_000 });
    assert.equal(c.service.job(job.id)?.intervalMs, 120_000);
    await a.service.forget(job.id, { policy: { last: 1 } });
    assert.equal(c.service.record(first!.id), undefined);
    await a.service.forgetJob(job.id);
    assert.equal(c.service.job(job.id), undefined);
    assert.equal(c.service.record(second!.id), undefined);
    await assert.rejects(stat(cached), { code: 'ENOENT' }, 'the cached copy of a version that left the catalog is deleted');
  });

  it('holds changes that arrive before the catalog is loaded and applies them after it, in order', async () => {
    const { a, restart } = await twoNodes();
    const { job, source } = await addNotes(a, 'one');
    const c2 = await restart('c');
    const version = await runOk(a, job.id);
    await a.service.upsertJob({ sourcePath: source, intervalMs: 120_000 });
    assert.equal(c2.service.job(job.id), undefined, 'nothing applied before load');
    await c2.service.load();
    assert.equal(c2.service.job(job.id)?.intervalMs, 120_000);
    assert.deepEqual(c2.service.versions(job.id).map((listed) => listed.id), [version!.id]);
  });

  it('handles a record that fails its digest as load does: not trusted, its sequence never reused', async () => {
    const { a, c } = await twoNodes();
    const { job } = await addNotes(a);
    const version = await runOk(a, job.id);
    await c.service.applyRemote({ collection: 'backup.versions', key: version!.id, value: { ...version!, sha256: '0'.repeat(64), digest: 'not-it' } });
    assert.equal(c.service.record(version!.id), undefined);
    assert.deepEqual(c.service.versions(job.id), []);
    assert.deepEqual(c.service.catalogued().damagedRecords.map((record) => record.key), [version!.id]);
    await c.service.applyRemote({ collection: 'backup.jobs', key: 'evil', value: { id: 'evil', sourcePath: '/x', intervalMs: 1, digest: 'nope' } });
    assert.equal(c.service.job('evil'), undefined);
    await c.service.applyRemote({ collection: 'book.users', key: 'x', value: { anything: true } });
  });
});

describe('running jobs in a cluster', () => {
  it('refuses to run another node\u2019s job (it would copy this node\u2019s file of that path): JOB_RUNS_ELSEWHERE', async () => {
    const { a, c } = await twoNodes();
    const { job } = await addNotes(a);
    const outcome = await c.service.run(job.id);
    assert.ok(!outcome.ok && outcome.error.code === 'JOB_RUNS_ELSEWHERE' && outcome.error.message.includes("node 'a'"), JSON.stringify(outcome));
    assert.deepEqual(c.service.catalogued().versions, []);
  });

  it('leaves retention of a job to the node that runs it: forget elsewhere is refused, its dry run answered', async () => {
    const { a, c } = await twoNodes();
    const { job } = await addNotes(a);
    await runOk(a, job.id);
    await assert.rejects(c.service.forget(job.id, { policy: { last: 1 } }), { code: 'JOB_RUNS_ELSEWHERE' });
    assert.equal((await c.service.forget(job.id, { policy: { last: 1 }, dryRun: true })).kept.length, 1);
    assert.equal(a.service.versions(job.id).length, 1);
  });

  it('names a node\u2019s own jobs <name>.<node>, numbering its own alike names before the node', () => {
    assert.equal(clusterJobIdFor('/x/notes.txt', 'a', new Set()), 'notes.txt.a');
    assert.equal(clusterJobIdFor('/y/notes.txt', 'a', new Set(['notes.txt.a', 'notes.txt.b'])), 'notes.txt-2.a');
    assert.equal(clusterJobIdFor('/y/notes.txt', 'b', new Set(['notes.txt.a'])), 'notes.txt.b');
  });
});

describe('retention in a cluster', () => {
  it('removes another node\u2019s version by its record and its blob only; the node that made it deletes its own file', async () => {
    const { a, c, blobs } = await twoNodes();
    const sharedSource = path.join(a.root, 'src', 'shared.txt');
    await writeFile(sharedSource, 'made on a');
    const job = await a.service.upsertJob({ sourcePath: sharedSource, intervalMs: 60_000, shared: true, keep: 1 });
    const onA = await runOk(a, job.id);
    await c.service.revertable(job.id);
    await writeFile(sharedSource, 'made on c');
    c.clock.advance(60_000);
    const onC = await runOk(c, job.id);
    assert.equal(onC?.node, 'c');
    assert.deepEqual(c.service.versions(job.id).map((version) => version.id), [onC!.id], 'c\u2019s prune removed a\u2019s version');
    assert.equal(blobs.blobs.has(blobNameOf(onA!)), false, 'its blob is gone');
    assert.equal(blobs.blobs.has(blobNameOf(onC!)), true);
    assert.deepEqual(await filesIn(path.join(c.root, 'backups', job.id)), [path.basename(onC!.path)], 'c touched no path of a\u2019s');
    await assert.rejects(stat(onA!.path), { code: 'ENOENT' }, 'a, told its version left the catalog, deleted its own file');
    assert.deepEqual(a.service.versions(job.id).map((version) => version.id), [onC!.id]);
  });
});

describe('registering a version in a cluster', () => {
  it('registers nothing and leaves no file and no blob when beforeRegister throws', async () => {
    const blobs = new MemoryBlobs();
    let fenced = 0;
    const cluster = await clusterNodes(['a'], () => ({
      blobs,
      beforeRegister: async () => {
        fenced++;
        throw new Error('the lease was lost');
      },
    }));
    closers.push(cluster.close);
    const [a] = cluster.nodes as [TestNode];
    const { job } = await addNotes(a);
    const outcome = await a.service.run(job.id);
    assert.equal(outcome.ok, false);
    assert.equal(fenced, 1);
    assert.deepEqual(a.service.catalogued().versions, []);
    assert.deepEqual(await cluster.store.client.keys('backup.versions'), []);
    assert.deepEqual(await filesIn(path.join(a.root, 'backups', job.id)), []);
    assert.equal(blobs.blobs.size, 0);
  });

  it('registers nothing and leaves no file when the object store fails or hashes other bytes', async () => {
    const { a, blobs } = await twoNodes();
    const { job } = await addNotes(a);
    blobs.failPuts = 1;
    const failed = await a.service.run(job.id);
    assert.ok(!failed.ok && failed.error.code === 'VERSION_STORE_FAILED');
    blobs.wrongDigest = true;
    const mismatched = await a.service.run(job.id);
    assert.ok(!mismatched.ok && mismatched.error.code === 'VERSION_STORE_FAILED' && /not the copy/.test(mismatched.error.message));
    assert.deepEqual(a.service.catalogued().versions, []);
    assert.deepEqual(await filesIn(path.join(a.root, 'backups', job.id)), []);
    assert.equal(blobs.blobs.size, 0);
    blobs.wrongDigest = false;
    assert.ok((await a.service.run(job.id)).ok, 'the next run, with the store back, registers');
  });
});

describe('directory versions in a cluster', () => {
  it('stores a snapshot as its manifest and content-addressed files, serves it on another node as a verified tree, and removes only files no other snapshot holds', async () => {
    const { a, c, blobs } = await twoNodes();
    const folder = path.join(a.root, 'src', 'photos');
    await mkdir(path.join(folder, 'sub'), { recursive: true });
    await writeFile(path.join(folder, 'kept.txt'), 'same in both');
    await writeFile(path.join(folder, 'sub', 'changes.txt'), 'first');
    await symlink('kept.txt', path.join(folder, 'link'));
    const job = await a.service.upsertJob({ sourcePath: folder, intervalMs: 60_000, keep: 1 });
    const first = await runOk(a, job.id);
    assert.equal(first?.kind, 'directory');
    assert.equal(blobs.blobs.size, 3, 'the manifest and two distinct files');
    const served = await c.service.forRevert(job.id);
    assert.ok(served);
    assert.ok(served.path.startsWith(path.join(c.root, 'data', 'cache', job.id) + path.sep));
    assert.equal(await readFile(path.join(served.path, 'kept.txt'), 'utf8'), 'same in both');
    assert.equal(await readFile(path.join(served.path, 'sub', 'changes.txt'), 'utf8'), 'first');
    assert.equal(await readlink(path.join(served.path, 'link')), 'kept.txt');
    const check = await localBackupFiles.checkSnapshot(served.path, first!.sha256);
    assert.equal(check.kind, 'intact', 'the cached tree is the snapshot, by its own manifest');
    await c.service.forRevert(job.id);
    assert.equal(blobs.calls.get, 1, 'reused while its manifest is unchanged');

    a.clock.advance(60_000);
    await writeFile(path.join(folder, 'sub', 'changes.txt'), 'second');
    const second = await runOk(a, job.id);
    assert.deepEqual(a.service.versions(job.id).map((version) => version.id), [second!.id], 'keep 1 removed the first');
    const names = [...blobs.blobs.keys()].sort();
    const sha = (text: string) => createHash('sha256').update(text).digest('hex');
    assert.deepEqual(names, [blobNameOf(second!), `${job.id}/sha256/${sha('same in both')}`, `${job.id}/sha256/${sha('second')}`].sort(), 'the first\u2019s own file went with it, the shared one stayed');
    await assert.rejects(stat(served.path), { code: 'ENOENT' }, 'c deleted its cached tree of the first');
    const again = await c.service.forRevert(job.id);
    assert.equal(await readFile(path.join(again!.path, 'sub', 'changes.txt'), 'utf8'), 'second');
  });

  it('refuses a snapshot whose stored file does not match its manifest, leaving nothing in the cache', async () => {
    const { a, c, blobs } = await twoNodes();
    const folder = path.join(a.root, 'src', 'docs');
    await mkdir(folder, { recursive: true });
    await writeFile(path.join(folder, 'a.txt'), 'aaa');
    const job = await a.service.upsertJob({ sourcePath: folder, intervalMs: 60_000 });
    await runOk(a, job.id);
    const content = [...blobs.blobs.keys()].find((name) => name.includes('/sha256/'))!;
    blobs.blobs.set(content, Buffer.from('zzz'));
    await assert.rejects(c.service.forRevert(job.id), { code: 'VERSION_UNAVAILABLE' });
    assert.deepEqual(await filesIn(path.join(c.root, 'data', 'cache', job.id)), []);
  });
});

/** The catalog on a store that fails writes as the cluster's does when it cannot tell whether they were stored. */
class AmbiguousCatalog extends BackupCatalog {
  /** How many of the next version writes are stored and then reported failed, "may or may not have been stored". */
  ambiguousSaves = 0;
  /** How many of the next version deletes fail (the link is down). */
  failedDeletes = 0;
  readonly deletes: string[] = [];

  override async saveVersion(version: BackupVersion): Promise<void> {
    if (this.ambiguousSaves === 0) return super.saveVersion(version);
    this.ambiguousSaves--;
    await super.saveVersion(version);
    throw new StoreWriteFailedError('the cluster did not acknowledge the write within 10 s (no stream leader or no quorum); it may or may not have been stored');
  }

  override async deleteVersion(versionId: string): Promise<void> {
    this.deletes.push(versionId);
    if (this.failedDeletes > 0) {
      this.failedDeletes--;
      throw new StoreUnavailableError('this node has lost its connection to the cluster; nothing was written');
    }
    return super.deleteVersion(versionId);
  }
}

describe('a catalog write that may or may not have been stored', () => {
  async function node() {
    const dataDir = await tempDir('ambiguous');
    const store = await openStore(path.join(dataDir, 'store'));
    closers.push(store.close);
    const blobs = new MemoryBlobs();
    const catalog = new AmbiguousCatalog(store.client);
    const make = () =>
      new BackupService({ catalog, bus: new Bus(), clock: new VirtualClock(START), ids: sequentialIds(), backupDir: path.join(dataDir, 'backups'), files: localBackupFiles, ownFolders: [path.join(dataDir, 'data')], node: 'a', blobs });
    const service = make();
    await service.load();
    const source = path.join(dataDir, 'notes.txt');
    await writeFile(source, 'v1');
    const job = await service.upsertJob({ sourcePath: source, intervalMs: 60_000 });
    return { dataDir, store, blobs, catalog, service, job, make };
  }

  it('deletes the record it may have stored first, and removes the file and blob only once that delete succeeded', async () => {
    const { dataDir, store, blobs, catalog, service, job } = await node();
    catalog.ambiguousSaves = 1;
    const outcome = await service.run(job.id);
    assert.ok(!outcome.ok && outcome.error.code === 'STORE_WRITE_FAILED', JSON.stringify(outcome));
    assert.deepEqual(catalog.deletes, [`${job.id}@1`]);
    assert.deepEqual(await store.client.keys('backup.versions'), []);
    assert.deepEqual(await filesIn(path.join(dataDir, 'backups', job.id)), []);
    assert.equal(blobs.blobs.size, 0);
  });

  it('keeps the file and blob when the record cannot be deleted either: the record that may be stored names them, and the next load finds them', async () => {
    const { dataDir, store, blobs, catalog, service, job, make } = await node();
    catalog.ambiguousSaves = 1;
    catalog.failedDeletes = 1;
    const outcome = await service.run(job.id);
    assert.ok(!outcome.ok && outcome.error.code === 'STORE_WRITE_FAILED', JSON.stringify(outcome));
    const stored = await store.client.get<BackupVersion>('backup.versions', `${job.id}@1`);
    assert.ok(stored, 'the write went through after all');
    assert.equal((await stat(stored.path)).isFile(), true, 'its file was kept');
    assert.equal(blobs.blobs.size, 1, 'its blob was kept');
    assert.equal((await filesIn(path.join(dataDir, 'backups', job.id))).length, 1);
    const restarted = make();
    const report = await restarted.load();
    assert.deepEqual(report.missing, []);
    assert.deepEqual(restarted.versions(job.id).map((version) => version.id), [`${job.id}@1`], 'served as the version it is');
  });

  it('removes the file and blob at once after a write that surely failed', async () => {
    const { dataDir, store, blobs, job } = await node();
    class RefusingCatalog extends BackupCatalog {
      override saveVersion(): Promise<void> {
        return Promise.reject(new StoreUnavailableError('this node has lost its connection to the cluster; nothing was written'));
      }
    }
    const refusing = new BackupService({ catalog: new RefusingCatalog(store.client), bus: new Bus(), clock: new VirtualClock(START), ids: sequentialIds(), backupDir: path.join(dataDir, 'backups'), files: localBackupFiles, node: 'a', blobs });
    await refusing.load();
    const outcome = await refusing.run(job.id);
    assert.ok(!outcome.ok && outcome.error.code === 'STORE_UNAVAILABLE', JSON.stringify(outcome));
    assert.deepEqual(await filesIn(path.join(dataDir, 'backups', job.id)), []);
    assert.equal(blobs.blobs.size, 0);
  });
});

describe('two nodes registering a shared job\u2019s version of one id (a takeover)', () => {
  it('never writes over the other node\u2019s record: the seq moves on; and a node failing its fence removes only its own blob', async () => {
    const blobs = new MemoryBlobs();
    const fence = { fail: false };
    const cluster = await clusterNodes(['a', 'c'], (name) => ({
      blobs,
      ...(name === 'a'
        ? {
            beforeRegister: async () => {
              if (fence.fail) throw new LeaseLostError('This node no longer holds the lease (test)');
            },
          }
        : {}),
    }));
    closers.push(cluster.close);
    const [a, c] = cluster.nodes as [TestNode, TestNode];
    const source = path.join(a.root, 'src', 'shared.txt');
    await writeFile(source, 'first');
    const job = await a.service.upsertJob({ sourcePath: source, intervalMs: 60_000, shared: true });
    await c.service.upsertJob({ sourcePath: source, intervalMs: 60_000, shared: true });
    assert.equal((await runOk(a, job.id))?.id, `${job.id}@1`);
    // c takes the job over and registers @2 before a hears of it (a's view of the catalog lags).
    a.catalog.peers.length = 0;
    c.catalog.peers.length = 0;
    await writeFile(source, 'second');
    c.clock.advance(60_000);
    await c.service.revertable(job.id);
    const onC = await runOk(c, job.id);
    assert.equal(onC?.id, `${job.id}@2`);
    // a, still copying under the lease it lost, fails its fence: its cleanup leaves c's blob of @2 alone.
    await writeFile(source, 'third');
    fence.fail = true;
    const lost = await a.service.run(job.id);
    assert.ok(!lost.ok && lost.error.code === 'LEASE_LOST');
    assert.equal(blobs.blobs.get(blobNameOf(onC!))?.toString(), 'second', 'c\u2019s blob is still there');
    // a registers later without having heard of @2: it takes @3, and c's record of @2 is untouched.
    fence.fail = false;
    await writeFile(source, 'fourth');
    const onA = await runOk(a, job.id);
    assert.equal(onA?.id, `${job.id}@3`);
    assert.equal(onA?.seq, 3);
    const record = await cluster.store.client.get<BackupVersion>('backup.versions', `${job.id}@2`);
    assert.equal(record?.node, 'c');
    assert.equal(record?.sha256, onC!.sha256);
  });
});
