import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from '../helpers/temp-dir.ts';
import { storedCollection } from '../helpers/stored-collection.ts';
import { TestClient } from '../helpers/test-client.ts';
import { spawnSafekeep } from '../helpers/safekeep-process.ts';
import { partialCopyAppears } from '../helpers/partial-copy.ts';

const LARGE = 256 * 1024 * 1024;

async function listOrEmpty(directory: string): Promise<string[]> {
  return readdir(directory).catch(() => []);
}

/** The catalog's versions as they are on disk (shards and the store's log, as `safekeep check` reads them). */
async function registeredVersions(dataDir: string): Promise<Record<string, { path: string }>> {
  return storedCollection(dataDir, 'backup.versions') as Promise<Record<string, { path: string }>>;
}

describe('kill -9 during a large copy', () => {
  it('leaves no registered partial version, keeps the earlier one, and cleans up on the next start', async () => {
    const root = await tempDir('crash');
    const source = path.join(root, 'data.bin');
    const dataDir = path.join(root, 'safekeep-data');
    const jobDir = path.join(dataDir, 'backups', 'data.bin');
    const args = ['--source', 'data.bin', '--interval', '1h', '--port', '0'];

    await writeFile(source, 'small v1');
    const first = spawnSafekeep(args, root);
    const port = await first.port();
    await first.waitFor('stderr', /\[data\.bin\] done/);
    const [v1] = Object.values(await registeredVersions(dataDir));
    assert.ok(v1);

    await truncate(source, LARGE);
    const client = await TestClient.connect(port);
    client.send('backup');
    const partial = await partialCopyAppears(jobDir);
    first.child.kill('SIGKILL');
    assert.equal((await first.exited).signal, 'SIGKILL');

    // What the crash left: the partial copy and the lock, but the catalog lists only v1.
    assert.ok((await listOrEmpty(jobDir)).includes(partial), 'the kill landed mid-copy');
    assert.ok((await listOrEmpty(dataDir)).includes('safekeep.lock'));
    assert.deepEqual(Object.values(await registeredVersions(dataDir)), [v1]);

    const second = spawnSafekeep(args, root);
    const secondPort = await second.port();
    assert.match(second.stderr, /removed 1 partial copy left by an interrupted run/);
    assert.deepEqual(await listOrEmpty(jobDir), [path.basename(v1.path)]);
    const again = await TestClient.connect(secondPort);
    again.send('revert');
    const reverted = await again.recv();
    assert.equal(reverted, v1.path);
    assert.equal(await readFile(reverted, 'utf8'), 'small v1');
    again.destroy();
    client.destroy();
    await second.stop();
  });
});
