import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cp, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sequentialIds } from '../../src/ids/ids.ts';
import { inspectStore } from '../../adapters/store/inspect-store.ts';
import { openStore } from '../helpers/open-store.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/data-dir-v1/data', import.meta.url));
const COLLECTIONS = ['backup.jobs', 'backup.versions', 'book.pending', 'book.users'];

/** The documents of a collection as the old code left them in its shard files. */
async function oldDocuments(collection: string): Promise<Record<string, unknown>> {
  const dir = path.join(FIXTURE, 'store', collection);
  const documents: Record<string, unknown> = {};
  for (const name of (await readdir(dir)).filter((name) => name.startsWith('shard-'))) Object.assign(documents, JSON.parse(await readFile(path.join(dir, name), 'utf8')).documents);
  return documents;
}

describe('a data directory written before the write-ahead log', () => {
  it('is migrated on first start with every document kept, and the next start reads no shard', async () => {
    const dataDir = path.join(await tempDir('store-migration'), 'data');
    await cp(FIXTURE, dataDir, { recursive: true });

    const first = await openStore(dataDir);
    for (const collection of COLLECTIONS) {
      const before = await oldDocuments(collection);
      assert.ok(Object.keys(before).length > 0, `the fixture has no ${collection}`);
      assert.deepEqual(await first.client.list(collection), before, collection);
      assert.equal(await first.client.count(collection), Object.keys(before).length);
    }
    await first.client.put('book.users', 'dave', { added: 'after the migration' });
    await first.close();

    for (const collection of COLLECTIONS) {
      const dir = path.join(dataDir, 'store', collection);
      assert.equal(JSON.parse(await readFile(path.join(dir, 'collection.json'), 'utf8')).version, 3);
      assert.equal(JSON.parse(await readFile(path.join(dir, 'index.json'), 'utf8')).format, 'safekeep.index');
    }

    const second = await openStore(dataDir);
    assert.deepEqual(await second.client.keys('book.users'), ['ann', 'bob', 'carol', 'dave']);
    assert.equal(second.store.shardReads, 0);
    for (const collection of COLLECTIONS.filter((name) => name !== 'book.users')) assert.deepEqual(await second.client.list(collection), await oldDocuments(collection));
    await second.close();

    const offline = await inspectStore(dataDir, sequentialIds());
    assert.deepEqual(offline.damaged, []);
    assert.deepEqual(offline.collections.get('book.users'), { ...(await oldDocuments('book.users')), dave: { added: 'after the migration' } });
  });
});
