import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ObjectBlobs } from '../../adapters/nats/object-blobs.ts';
import { NatsLink } from '../../adapters/nats/nats-link.ts';
import { localBackupFiles } from '../../src/backup/local-backup-files.ts';
import { blobNameOf } from '../../src/backup/version-places.ts';
import { Bus } from '../../src/bus/bus.ts';
import { startHost } from '../../src/host/start-host.ts';
import { VersionCache } from '../../src/cluster/version-cache.ts';
import { sequentialIds } from '../../src/ids/ids.ts';
import { clusterNodes, type TestNode } from '../helpers/cluster-backup-nodes.ts';
import { flipByte } from '../helpers/flip-byte.ts';
import { NATS_SERVER, startNatsCluster, type NatsCluster } from '../helpers/nats-cluster.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const sha256Of = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const MiB = 1024 * 1024;

let nats: NatsCluster | null = null;
const links: NatsLink[] = [];

before(async () => {
  if (NATS_SERVER !== null) nats = await startNatsCluster();
});
after(async () => {
  await Promise.all(links.map((link) => link.close().catch(() => undefined)));
});

/** ObjectBlobs on its own connection (through server `server` first), on the bucket `<name>-versions`, R3. */
async function openBlobs(name: string, server = 0, idleDownloadMs?: number) {
  const cluster = nats as NatsCluster;
  const link = new NatsLink({ servers: [cluster.urls[server] as string, ...cluster.urls.filter((_, i) => i !== server)], nodeName: `test-${name}-${server}` });
  await link.open(new Bus());
  links.push(link);
  const blobs = new ObjectBlobs({ link, name, replicas: 3, ...(idleDownloadMs ? { idleDownloadMs } : {}) });
  await blobs.open();
  return { link, blobs };
}

function skipWithoutNats(t: { skip(message: string): void }): boolean {
  if (nats) return false;
  t.skip('no nats-server on PATH');
  return true;
}

describe('ObjectBlobs on a real 3-server JetStream cluster', () => {
  it('puts a file with 3 replicas and answers the SHA-256 the store computed, gets it back whole, and deletes it', async (t) => {
    if (skipWithoutNats(t)) return;
    const { blobs } = await openBlobs('put-get');
    const dir = await tempDir('blobs');
    const bytes = randomBytes(300 * 1024 + 7);
    const source = path.join(dir, 'notes.txt');
    await writeFile(source, bytes);
    const put = await blobs.putFile('notes.txt.a@1', source);
    assert.deepEqual(put, { sha256: sha256Of(bytes), size: bytes.length });
    const jsz = (await nats!.jsz(0)) as { account_details?: { stream_detail?: { name: string; config?: { num_replicas?: number } }[] }[] };
    const stream = jsz.account_details?.flatMap((account) => account.stream_detail ?? []).find((detail) => detail.name === 'OBJ_put-get-versions');
    assert.equal(stream?.config?.num_replicas, 3);
    // Read through another server, as another node would.
    const { blobs: other } = await openBlobs('put-get', 2);
    const target = path.join(dir, 'cache', 'notes.txt.a', 'notes.1.txt');
    const got = await other.getFile('notes.txt.a@1', target, put, 'fetch_1');
    assert.equal(got.sha256, put.sha256);
    assert.deepEqual(await readFile(target), bytes);
    const stats = await stat(target, { bigint: true });
    assert.deepEqual(got.file, { size: bytes.length, mtimeNs: stats.mtimeNs.toString(), ino: stats.ino.toString() });
    await blobs.delete('notes.txt.a@1');
    await assert.rejects(other.getFile('notes.txt.a@1', path.join(dir, 'again.txt'), put, 'fetch_2'), { code: 'VERSION_BLOB_MISSING' });
    await blobs.delete('notes.txt.a@1');
    await blobs.delete('never-was');
  });

  it('refuses bytes that are not the expected ones and leaves neither the target nor a temp file', async (t) => {
    if (skipWithoutNats(t)) return;
    const { blobs } = await openBlobs('mismatch');
    const dir = await tempDir('blobs');
    const source = path.join(dir, 'source.bin');
    await writeFile(source, 'the stored bytes');
    const put = await blobs.putFile('x@1', source);
    const landing = path.join(dir, 'landing');
    await assert.rejects(blobs.getFile('x@1', path.join(landing, 'x.bin'), { sha256: '0'.repeat(64), size: put.size }, 'fetch_1'), { code: 'VERSION_BLOB_MISMATCH' });
    assert.deepEqual(await readdir(landing), []);
  });

  it('puts and gets a 16 MiB file intact', async (t) => {
    if (skipWithoutNats(t)) return;
    const { blobs } = await openBlobs('big');
    const dir = await tempDir('blobs');
    const bytes = randomBytes(16 * MiB);
    const source = path.join(dir, 'big.bin');
    await writeFile(source, bytes);
    const putAt = performance.now();
    const put = await blobs.putFile('big@1', source);
    const putMs = performance.now() - putAt;
    assert.equal(put.sha256, sha256Of(bytes));
    const getAt = performance.now();
    const got = await blobs.getFile('big@1', path.join(dir, 'out', 'big.bin'), put, 'fetch_1');
    const getMs = performance.now() - getAt;
    t.diagnostic(`16 MiB R3: put ${putMs.toFixed(0)} ms, get ${getMs.toFixed(0)} ms`);
    assert.equal(got.size, 16 * MiB);
    assert.ok((await readFile(path.join(dir, 'out', 'big.bin'))).equals(bytes));
  });

  it('leaves no partial file when the download is cut off by its connection closing', async (t) => {
    if (skipWithoutNats(t)) return;
    const { blobs: writer } = await openBlobs('cut');
    const dir = await tempDir('blobs');
    const bytes = randomBytes(16 * MiB);
    const source = path.join(dir, 'big.bin');
    await writeFile(source, bytes);
    const put = await writer.putFile('cut@1', source);
    const { link, blobs: reader } = await openBlobs('cut', 1, 1_500);
    const landing = path.join(dir, 'landing');
    const download = reader.getFile('cut@1', path.join(landing, 'big.bin'), put, 'fetch_1');
    // Cut once bytes have started to land in the temp file.
    const deadline = Date.now() + 10_000;
    for (;;) {
      const names = await readdir(landing).catch(() => [] as string[]);
      const sizes = await Promise.all(names.map((name) => stat(path.join(landing, name)).then((s) => s.size, () => 0)));
      if (sizes.some((size) => size > 0)) break;
      assert.ok(Date.now() < deadline, 'the download never started');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await link.connection.close();
    await assert.rejects(download, { code: 'VERSION_STORE_FAILED' }, 'a stalled download is given up');
    assert.deepEqual(await readdir(landing), [], 'no partial file, no temp file');
  });
});

describe('VersionCache on the real object store', () => {
  it('lands a version verified, reuses it while unchanged, and fetches it again after a byte of it flipped', async (t) => {
    if (skipWithoutNats(t)) return;
    const { blobs } = await openBlobs('cache');
    const dir = await tempDir('cache');
    const bytes = randomBytes(200 * 1024);
    const source = path.join(dir, 'notes.1.txt');
    await writeFile(source, bytes);
    await blobs.putFile('notes.txt.a@1', source);
    let gets = 0;
    const getFile = blobs.getFile.bind(blobs);
    blobs.getFile = (...args) => (gets++, getFile(...args));
    const cache = new VersionCache({ blobs, files: localBackupFiles, cacheDir: path.join(dir, 'cache'), ids: sequentialIds() });
    const version = { id: 'notes.txt.a@1', jobId: 'notes.txt.a', seq: 1, path: '/on/a/backups/notes.txt.a/notes.1.txt', size: bytes.length, sha256: sha256Of(bytes), createdAt: 0, source: { size: 0, mtimeNs: '0', ctimeNs: '0', ino: '0', dev: '0' }, node: 'a' };
    const served = await cache.materialise(version);
    assert.equal(served.path, path.join(dir, 'cache', 'notes.txt.a', 'notes.1.txt'));
    assert.deepEqual(await readFile(served.path), bytes);
    await cache.materialise(version);
    assert.equal(gets, 1);
    await flipByte(served.path, 1000);
    const again = await cache.materialise(version);
    assert.equal(gets, 2, 'the flipped byte moved the mtime: fetched again');
    assert.deepEqual(await readFile(again.path), bytes);
    await cache.evict(version);
    await assert.rejects(stat(served.path), { code: 'ENOENT' });
  });
});

describe('a host with --version-store nats', () => {
  it('puts each new version in the object store <name>-versions and stamps it with its node', async (t) => {
    if (skipWithoutNats(t)) return;
    const root = await tempDir('host');
    const source = path.join(root, 'notes.txt');
    await writeFile(source, 'kept in the cluster');
    const host = await startHost({
      dataDir: path.join(root, 'data'),
      socket: false,
      jobs: [{ sourcePath: source, intervalMs: 3_600_000 }],
      cluster: { servers: nats!.urls, nodeName: 'a', store: 'lowdb', versionStore: 'nats', name: 'hosted' },
    });
    try {
      const run = await host.runBackup();
      const version = run.version;
      assert.ok(version);
      assert.equal(version.node, 'a');
      assert.ok(version.blob?.startsWith(`${version.id}~a~`), 'stored under a name of its node and attempt');
      const { blobs } = await openBlobs('hosted', 1);
      const target = path.join(root, 'fetched.txt');
      await blobs.getFile(blobNameOf(version), target, { sha256: version.sha256, size: version.size }, 'fetch_1');
      assert.equal(await readFile(target, 'utf8'), 'kept in the cluster');
    } finally {
      await host.stop();
    }
  });
});

describe('two nodes sharing one catalog and the real object store', () => {
  it('a version made on a is reverted on c as a verified local file, and leaves the object store with the catalog', async (t) => {
    if (skipWithoutNats(t)) return;
    const [{ blobs: blobsA }, { blobs: blobsC }] = [await openBlobs('nodes', 0), await openBlobs('nodes', 2)];
    const cluster = await clusterNodes(['a', 'c'], (name) => ({ blobs: name === 'a' ? blobsA : blobsC }));
    after(() => cluster.close());
    const [a, c] = cluster.nodes as [TestNode, TestNode];
    const source = path.join(a.root, 'src', 'notes.txt');
    const bytes = randomBytes(2 * MiB);
    await writeFile(source, bytes);
    const job = await a.service.upsertJob({ sourcePath: source, intervalMs: 60_000 });
    const outcome = await a.service.run(job.id);
    assert.ok(outcome.ok && outcome.version, JSON.stringify(outcome));
    const served = await c.service.forRevert(job.id);
    assert.ok(served);
    assert.ok(served.path.startsWith(path.join(c.root, 'data', 'cache') + path.sep), served.path);
    assert.deepEqual(await readFile(served.path), bytes);
    await a.service.forgetJob(job.id);
    await assert.rejects(stat(served.path), { code: 'ENOENT' }, 'c deleted its cached copy');
    await assert.rejects(blobsC.getFile(outcome.version.id, path.join(c.root, 'x'), { sha256: outcome.version.sha256, size: outcome.version.size }, 'fetch_x'), { code: 'VERSION_BLOB_MISSING' });
  });

  it('a directory version made on a is served on c as a verified tree from the real object store', async (t) => {
    if (skipWithoutNats(t)) return;
    const [{ blobs: blobsA }, { blobs: blobsC }] = [await openBlobs('dirs', 0), await openBlobs('dirs', 1)];
    const cluster = await clusterNodes(['a', 'c'], (name) => ({ blobs: name === 'a' ? blobsA : blobsC }));
    after(() => cluster.close());
    const [a, c] = cluster.nodes as [TestNode, TestNode];
    const folder = path.join(a.root, 'src', 'photos');
    await mkdir(path.join(folder, 'deep', 'er'), { recursive: true });
    const big = randomBytes(3 * MiB);
    await writeFile(path.join(folder, 'deep', 'er', 'big.bin'), big);
    await writeFile(path.join(folder, 'small.txt'), 'small');
    const job = await a.service.upsertJob({ sourcePath: folder, intervalMs: 60_000 });
    const outcome = await a.service.run(job.id);
    assert.ok(outcome.ok && outcome.version?.kind === 'directory', JSON.stringify(outcome));
    const served = await c.service.forRevert(job.id);
    assert.ok(served);
    assert.deepEqual(await readFile(path.join(served.path, 'deep', 'er', 'big.bin')), big);
    assert.equal(await readFile(path.join(served.path, 'small.txt'), 'utf8'), 'small');
    assert.equal((await localBackupFiles.checkSnapshot(served.path, outcome.version.sha256)).kind, 'intact');
    await a.service.forgetJob(job.id);
    assert.equal(await blobsC.getSnapshot(outcome.version.id, path.join(c.root, 'gone'), { sha256: outcome.version.sha256, size: -1 }, 'x').then(() => 'found', (error: { code?: string }) => error.code), 'VERSION_BLOB_MISSING');
  });

  it('refuses to register a version while its node has lost NATS: the run fails, nothing is left', async (t) => {
    if (skipWithoutNats(t)) return;
    const { link, blobs } = await openBlobs('offline', 1);
    const cluster = await clusterNodes(['a'], () => ({ blobs }));
    after(() => cluster.close());
    const [a] = cluster.nodes as [TestNode];
    const source = path.join(a.root, 'src', 'notes.txt');
    await writeFile(source, 'v1');
    const job = await a.service.upsertJob({ sourcePath: source, intervalMs: 60_000 });
    await link.close();
    const outcome = await a.service.run(job.id);
    assert.ok(!outcome.ok && outcome.error.code === 'VERSION_STORE_FAILED', JSON.stringify(outcome));
    assert.deepEqual(a.service.catalogued().versions, []);
    assert.deepEqual(await readdir(path.join(a.root, 'backups', job.id)).catch(() => []), []);
  });
});
