import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { manifestPathOf } from '../../src/backup/snapshot-manifest.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { storedCollection } from '../helpers/stored-collection.ts';
import { TestClient } from '../helpers/test-client.ts';
import { spawnSafekeep } from '../helpers/safekeep-process.ts';
import { partialCopyAppears } from '../helpers/partial-copy.ts';
import { writeTree } from '../helpers/source-tree.ts';

const LARGE = 256 * 1024 * 1024;

/** The catalog's versions as they are on disk (shards and the store's log, as `safekeep check` reads them). */
async function registeredVersions(dataDir: string): Promise<Record<string, { path: string; kind?: string }>> {
  return storedCollection(dataDir, 'backup.versions') as Promise<Record<string, { path: string; kind?: string }>>;
}

describe('kill -9 during a directory snapshot', () => {
  it('registers nothing partial, keeps the earlier snapshot, and the next start removes the temp tree', async () => {
    const root = await tempDir('dir-crash');
    const source = await writeTree(path.join(root, 'site'), { 'index.html': 'v1', 'css/site.css': 'body{}' });
    const dataDir = path.join(root, 'safekeep-data');
    const jobDir = path.join(dataDir, 'backups', 'site');
    const args = ['--source', 'site', '--exclude', '*.tmp', '--interval', '1h', '--port', '0'];

    const first = spawnSafekeep(args, root);
    const port = await first.port();
    await first.waitFor('stderr', /\[site\] done: .* \(snapshot of 2 files, 8 bytes/);
    const [v1] = Object.values(await registeredVersions(dataDir));
    assert.equal(v1?.kind, 'directory');

    await writeFile(path.join(source, 'index.html'), 'v2');
    await writeFile(path.join(source, 'big.bin'), '');
    await truncate(path.join(source, 'big.bin'), LARGE);
    const client = await TestClient.connect(port);
    client.send('backup');
    await partialCopyAppears(jobDir);
    first.child.kill('SIGKILL');
    assert.equal((await first.exited).signal, 'SIGKILL');
    assert.deepEqual(Object.values(await registeredVersions(dataDir)), [v1]);

    const second = spawnSafekeep(args, root);
    const secondPort = await second.port();
    assert.match(second.stderr, /removed \d partial cop(y|ies) left by an interrupted run/);
    assert.deepEqual((await readdir(jobDir)).sort(), [path.basename(v1.path), path.basename(manifestPathOf(v1.path))]);
    const again = await TestClient.connect(secondPort);
    again.send('revert');
    const reverted = await again.recv();
    assert.equal(reverted, v1.path);
    assert.equal(await readFile(path.join(reverted, 'index.html'), 'utf8'), 'v1');
    again.destroy();
    client.destroy();
    await second.stop();
  });
});
