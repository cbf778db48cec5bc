import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, stat, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Bus } from '../../src/bus/bus.ts';
import { sequentialIds, type IdSource } from '../../src/ids/ids.ts';
import { StoreClient } from '../../src/store/store-client.ts';
import { LowdbStore } from '../../adapters/store/lowdb-store.ts';
import { STORE_TEMP_SUFFIX } from '../../adapters/store/write-file-durably.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { readOnlyDir } from '../helpers/restricted-dir.ts';

/** An id source that counts how many durable flushes (one temp id each) were made. */
function countingIds(): IdSource & { flushes(): number } {
  const ids = sequentialIds();
  let flushes = 0;
  return {
    next(prefix) {
      if (prefix === 'w') flushes++;
      return ids.next(prefix);
    },
    flushes: () => flushes,
  };
}

async function openStore(dataDir: string, ids: IdSource = sequentialIds()) {
  const bus = new Bus();
  const store = new LowdbStore({ dataDir, ids });
  await store.start(bus);
  const client = new StoreClient(bus, ids);
  return {
    bus,
    store,
    client,
    async close() {
      client.dispose();
      await store.stop();
    },
  };
}

describe('the lowdb store', () => {
  it('keeps documents across a restart', async () => {
    const dataDir = await tempDir('store');
    const first = await openStore(dataDir);
    await first.client.put('backup.jobs', 'notes.json', { id: 'notes.json', n: 1 });
    await first.client.put('backup.jobs', 'todo.txt', { id: 'todo.txt', n: 2 });
    await first.client.delete('backup.jobs', 'todo.txt');
    await first.close();

    const second = await openStore(dataDir);
    assert.deepEqual(await second.client.list('backup.jobs'), { 'notes.json': { id: 'notes.json', n: 1 } });
    assert.deepEqual(await second.client.get('backup.jobs', 'notes.json'), { id: 'notes.json', n: 1 });
    assert.equal(await second.client.get('backup.jobs', 'missing'), undefined);
    await second.close();
  });

  it('has the write on disk by the time it acknowledges it', async () => {
    const dataDir = await tempDir('store');
    const { client, close } = await openStore(dataDir);
    await client.put('things', 'a', { value: 42 });
    const onDisk = JSON.parse(await readFile(path.join(dataDir, 'store', 'things.json'), 'utf8'));
    assert.deepEqual(onDisk.documents, { a: { value: 42 } });
    await close();
  });

  it('groups concurrent writes into a few flushes', async () => {
    const dataDir = await tempDir('store');
    const ids = countingIds();
    const { client, close } = await openStore(dataDir, ids);
    await Promise.all(Array.from({ length: 200 }, (_, i) => client.put('burst', `k${i}`, { i })));
    assert.ok(ids.flushes() <= 3, `200 concurrent writes took ${ids.flushes()} flushes`);
    assert.equal(Object.keys(await client.list('burst')).length, 200);
    await close();
  });

  it('treats __proto__ and other odd keys as plain keys', async () => {
    const dataDir = await tempDir('store');
    const { client, close } = await openStore(dataDir);
    await client.put('users', '__proto__', { name: 'proto' });
    await client.put('users', 'constructor', { name: 'ctor' });
    await close();
    const again = await openStore(dataDir);
    assert.deepEqual(await again.client.get('users', '__proto__'), { name: 'proto' });
    assert.deepEqual(Object.keys(await again.client.list('users')).sort(), ['__proto__', 'constructor']);
    await again.close();
  });

  it('creates its folder 0700 and its files 0600 whatever the umask', async () => {
    const dataDir = path.join(await tempDir('store'), 'data');
    const previous = process.umask(0o000);
    try {
      const { client, close } = await openStore(dataDir);
      await client.put('things', 'a', 1);
      await close();
    } finally {
      process.umask(previous);
    }
    assert.equal((await stat(dataDir)).mode & 0o777, 0o700);
    assert.equal((await stat(path.join(dataDir, 'store'))).mode & 0o777, 0o700);
    assert.equal((await stat(path.join(dataDir, 'store', 'things.json'))).mode & 0o777, 0o600);
  });

  it('rejects a bad collection name or key with INVALID_STORE_COMMAND', async () => {
    const dataDir = await tempDir('store');
    const { client, close } = await openStore(dataDir);
    await assert.rejects(client.put('../escape', 'k', 1), { code: 'INVALID_STORE_COMMAND' });
    await assert.rejects(client.put('ok', '', 1), { code: 'INVALID_STORE_COMMAND' });
    await assert.rejects(client.put('ok', 'x'.repeat(1025), 1), { code: 'INVALID_STORE_COMMAND' });
    assert.deepEqual(await readdir(path.join(dataDir, 'store')), []);
    await close();
  });

  it('leaves a corrupt file untouched and reports STORE_CORRUPT', async () => {
    const dataDir = await tempDir('store');
    await mkdir(path.join(dataDir, 'store'), { recursive: true });
    const filePath = path.join(dataDir, 'store', 'things.json');
    await writeFile(filePath, '{"format": "safekeep.coll');
    const { client, close } = await openStore(dataDir);
    await assert.rejects(client.list('things'), { code: 'STORE_CORRUPT' });
    await assert.rejects(client.put('things', 'a', 1), { code: 'STORE_CORRUPT' });
    assert.equal(await readFile(filePath, 'utf8'), '{"format": "safekeep.coll');
    await close();
  });

  it('rejects a write that cannot be made durable and forgets it', async (t) => {
    const root = await tempDir('store');
    const dataDir = path.join(root, 'data');
    const { client, close } = await openStore(dataDir);
    await client.put('things', 'kept', 1);
    const readOnly = await readOnlyDir(path.join(dataDir, 'store'));
    if (!readOnly) return t.skip('cannot make a read-only directory here');
    try {
      const results = await Promise.allSettled([client.put('things', 'lost', 2), client.put('things', 'lost-too', 3)]);
      assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
      assert.equal(results[0]?.status === 'rejected' && results[0].reason.code, 'STORE_WRITE_FAILED');
    } finally {
      await readOnly.release();
    }
    assert.deepEqual(await client.list('things'), { kept: 1 });
    await client.put('things', 'after', 4);
    assert.deepEqual(await client.list('things'), { kept: 1, after: 4 });
    await close();
  });

  it('removes temp files left by an interrupted write on start', async () => {
    const dataDir = await tempDir('store');
    await mkdir(path.join(dataDir, 'store'), { recursive: true });
    await writeFile(path.join(dataDir, 'store', `things.json.w_9${STORE_TEMP_SUFFIX}`), '{"half');
    const { close } = await openStore(dataDir);
    assert.deepEqual(await readdir(path.join(dataDir, 'store')), []);
    await close();
  });

  it('fails commands at once with STORE_UNAVAILABLE once it has stopped', async () => {
    const dataDir = await tempDir('store');
    const { client, store } = await openStore(dataDir);
    await store.stop();
    await assert.rejects(client.put('things', 'a', 1), { code: 'STORE_UNAVAILABLE' });
    client.dispose();
  });
});

describe('the data directory lock', () => {
  it('refuses a second store on the same data directory', async () => {
    const dataDir = await tempDir('store');
    const first = await openStore(dataDir);
    await assert.rejects(openStore(dataDir), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'DATA_DIR_LOCKED');
      assert.match(error.message, /in use by another safekeep process \(pid \d+\)/);
      return true;
    });
    await first.close();
    const again = await openStore(dataDir);
    await again.close();
  });

  it('takes over a lock whose process is gone', async () => {
    const dataDir = await tempDir('store');
    const { hostname } = await import('node:os');
    await writeFile(path.join(dataDir, 'safekeep.lock'), JSON.stringify({ pid: 2 ** 22 + 7, processStart: '1', hostname: hostname() }));
    const store = await openStore(dataDir);
    const lock = JSON.parse(await readFile(path.join(dataDir, 'safekeep.lock'), 'utf8'));
    assert.equal(lock.pid, process.pid);
    await store.close();
  });

  it('takes over a lock whose pid was reused by another process', async () => {
    const dataDir = await tempDir('store');
    const { hostname } = await import('node:os');
    // pid 1 is alive, but it is not the process that wrote this lock.
    await writeFile(path.join(dataDir, 'safekeep.lock'), JSON.stringify({ pid: 1, processStart: 'not-its-start-time', hostname: hostname() }));
    const store = await openStore(dataDir);
    await store.close();
  });

  it('takes over a lock file that is not readable as a lock', async () => {
    const dataDir = await tempDir('store');
    await writeFile(path.join(dataDir, 'safekeep.lock'), 'garbage');
    const store = await openStore(dataDir);
    await store.close();
  });

  it('removes its lock file when it stops', async () => {
    const dataDir = await tempDir('store');
    const store = await openStore(dataDir);
    await store.close();
    assert.ok(!(await readdir(dataDir)).includes('safekeep.lock'));
  });
});
