import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Bus } from '../../src/bus/bus.ts';
import { INTERNAL_ERROR_MESSAGE, toErrorShape } from '../../src/errors/safekeep-error.ts';
import { sequentialIds } from '../../src/ids/ids.ts';
import type { StoreResult } from '../../src/store/messages.ts';
import { StoreClient } from '../../src/store/store-client.ts';
import { LowdbStore } from '../../adapters/store/lowdb-store.ts';
import { tinyDir } from '../helpers/restricted-dir.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { fill } from '../helpers/fill-disk.ts';

async function openStore(dataDir: string) {
  const bus = new Bus();
  const store = new LowdbStore({ dataDir, ids: sequentialIds(), shardsPerCollection: 4 });
  await store.start(bus);
  const client = new StoreClient(bus, sequentialIds());
  const failures: StoreResult[] = [];
  bus.on$('store.result').subscribe((result) => {
    if (!result.ok) failures.push(result);
  });
  return {
    client,
    failures,
    async close() {
      client.dispose();
      await store.stop();
    },
  };
}

function caught(promise: Promise<unknown>): Promise<{ code?: string; message: string }> {
  return promise.then(
    () => assert.fail('expected the store to refuse'),
    (error: { code?: string; message: string }) => error,
  );
}

describe('the store on a full disk', () => {
  it('answers STORE_WRITE_FAILED (not INTERNAL with a raw ENOSPC) to the first write of a new collection, naming no path', async (t) => {
    const dir = await tinyDir(path.join(await tempDir('store-full'), 'data'), 256);
    if (!dir) return t.skip('cannot mount a size-limited tmpfs here (not root, or mount refused): this test did not run');
    try {
      const { client, failures, close } = await openStore(dir.path);
      await client.put('early', 'k', { v: 1 });
      await fill(dir.path);
      const error = await caught(client.put('fresh', 'k', { v: 1 }));
      assert.equal(error.code, 'STORE_WRITE_FAILED');
      assert.match(error.message, /collection fresh/);
      assert.ok(!error.message.includes(dir.path), error.message);
      // The other write path (a collection that exists: an append to the log) too.
      // (A write that still fits in the log file's last allocated page is durable and kept: this one needs a new page.)
      const again = await caught(client.put('early', 'k2', { v: 'x'.repeat(8192) }));
      assert.equal(again.code, 'STORE_WRITE_FAILED');
      assert.match(again.message, /store log/);
      assert.ok(!again.message.includes(dir.path), again.message);
      // The log still learns where: the path travels on the bus as the log-only detail.
      assert.ok(failures.some((failure) => !failure.ok && failure.error.detail?.includes(dir.path)));
      // Nothing half-made is left behind, and the collection works once there is room.
      assert.deepEqual((await readdir(path.join(dir.path, 'store', 'fresh')).catch(() => [])).filter((name) => name.includes('tmp')), []);
      await writeFile(path.join(dir.path, 'filler'), '');
      await client.put('fresh', 'k', { v: 1 });
      assert.deepEqual(await client.get('fresh', 'k'), { v: 1 });
      await close();
    } finally {
      await dir.release();
    }
  });
});

describe('a damaged store file', () => {
  it('is reported by collection and shard, never by the server path', async () => {
    const dataDir = await tempDir('store-damaged');
    const first = await openStore(dataDir);
    await first.client.put('book.users', 'ann', { name: 'ann' });
    await first.close();
    const shardDir = path.join(dataDir, 'store', 'book.users');
    const shard = (await readdir(shardDir)).find((name) => name.startsWith('shard-'));
    assert.ok(shard);
    await writeFile(path.join(shardDir, shard), '{"format":"safekeep.shard","documents":');

    const second = await openStore(dataDir);
    const error = await caught(second.client.get('book.users', 'ann'));
    assert.equal(error.code, 'STORE_CORRUPT');
    assert.match(error.message, /^book\.users shard [0-9a-f]{3} /);
    assert.ok(!error.message.includes(dataDir), error.message);
    assert.ok(second.failures.some((failure) => !failure.ok && failure.error.detail?.includes(path.join(shardDir, shard))));
    await second.close();
  });

  it('with a damaged manifest is reported by collection name only', async () => {
    const dataDir = await tempDir('store-damaged');
    const first = await openStore(dataDir);
    await first.client.put('things', 'a', 1);
    await first.close();
    await writeFile(path.join(dataDir, 'store', 'things', 'collection.json'), 'nonsense');
    const second = await openStore(dataDir);
    const error = await caught(second.client.get('things', 'a'));
    assert.equal(error.code, 'STORE_CORRUPT');
    assert.ok(!error.message.includes(dataDir), error.message);
    assert.match(error.message, /things/);
    await second.close();
  });
});

describe('an error nobody anticipated', () => {
  it('tells a client a generic sentence and keeps the raw message for the log only', () => {
    const shape = toErrorShape(new Error("EACCES: permission denied, open '/srv/secret-place/x'"));
    assert.deepEqual(shape, { code: 'INTERNAL', message: INTERNAL_ERROR_MESSAGE, detail: "EACCES: permission denied, open '/srv/secret-place/x'" });
    assert.equal(INTERNAL_ERROR_MESSAGE, 'Internal error; the service log has the details');
  });
});
