import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { groupKey } from '../../src/store/group-key.ts';
import type { StoreClient } from '../../src/store/store-client.ts';
import { type LowdbStoreOptions } from '../../adapters/store/lowdb-store.ts';
import { openStore } from '../helpers/open-store.ts';
import { tempDir } from '../helpers/temp-dir.ts';

type Options = Omit<LowdbStoreOptions, 'dataDir' | 'ids'>;

const open = (dataDir: string, options: Options = {}) => openStore(dataDir, { shardsPerCollection: 8, ...options });

const logDir = (dataDir: string) => path.join(dataDir, 'store', 'log');

async function segments(dataDir: string): Promise<string[]> {
  return (await readdir(logDir(dataDir))).sort();
}

async function newestSegment(dataDir: string): Promise<string> {
  return path.join(logDir(dataDir), (await segments(dataDir)).at(-1) as string);
}

/** Writes acknowledged and left in the log, as a kill would leave them (no checkpoint on stop). */
async function writeAndLeaveInLog(dataDir: string, write: (client: StoreClient) => Promise<void>): Promise<void> {
  const { client, close } = await open(dataDir, { checkpointOnStop: false });
  await write(client);
  await close();
}

describe('the store log', () => {
  it('writes one line per record: a crc32 of the JSON in 8 hex digits, a space, the JSON', async () => {
    const dataDir = await tempDir('store-log');
    await writeAndLeaveInLog(dataDir, async (client) => {
      await client.put('things', 'a', { n: 1, text: 'two\nlines' });
      await client.batch([
        { op: 'put', collection: 'things', key: 'b', value: 2 },
        { op: 'delete', collection: 'things', key: 'a' },
      ]);
    });
    const lines = (await readFile(await newestSegment(dataDir), 'utf8')).split('\n');
    assert.equal(lines.pop(), '');
    assert.equal(lines.length, 2);
    for (const line of lines) {
      const [checksum, json] = [line.slice(0, 8), line.slice(9)];
      assert.match(checksum, /^[0-9a-f]{8}$/);
      assert.equal(checksum, crc32(json).toString(16).padStart(8, '0'));
    }
    assert.deepEqual(JSON.parse((lines[0] as string).slice(9)), { seq: 1, writes: [{ op: 'put', collection: 'things', key: 'a', value: { n: 1, text: 'two\nlines' } }] });
    assert.deepEqual(JSON.parse((lines[1] as string).slice(9)).writes, [
      { op: 'put', collection: 'things', key: 'b', value: 2 },
      { op: 'delete', collection: 'things', key: 'a' },
    ]);
    const again = await open(dataDir);
    assert.deepEqual(await again.client.list('things'), { b: 2 });
    await again.close();
  });

  it('drops a torn last record (a half-written append) and keeps everything acknowledged', async () => {
    const dataDir = await tempDir('store-log');
    await writeAndLeaveInLog(dataDir, async (client) => {
      for (let i = 0; i < 20; i++) await client.put('things', `k${i}`, { i });
    });
    const segment = await newestSegment(dataDir);
    const whole = await readFile(segment, 'utf8');
    // What a kill in the middle of an append leaves: the start of a record, no checksum match, no newline.
    await appendFile(segment, whole.split('\n')[0]?.slice(0, 30).replace('"k0"', '"k9"') ?? '');
    const { client, close } = await open(dataDir, { checkpointOnStop: false });
    assert.equal(await client.count('things'), 20);
    for (let i = 0; i < 20; i++) assert.deepEqual(await client.get('things', `k${i}`), { i });
    // Cut off the file, so that the next record starts on a line of its own.
    assert.equal(await readFile(segment, 'utf8'), whole);
    await client.put('things', 'after', 1);
    await close();
    const again = await open(dataDir);
    assert.equal(await again.client.count('things'), 21);
    await again.close();
  });

  it('drops a torn last batch whole: none of its writes comes back', async () => {
    const dataDir = await tempDir('store-log');
    await writeAndLeaveInLog(dataDir, async (client) => {
      await client.put('things', 'kept', 1);
      await client.batch([
        { op: 'put', collection: 'things', key: 'x', value: 1 },
        { op: 'put', collection: 'other', key: 'y', value: 2 },
      ]);
    });
    const segment = await newestSegment(dataDir);
    const text = await readFile(segment, 'utf8');
    // The batch's line with its last bytes (and newline) missing.
    await writeFile(segment, text.slice(0, text.length - 5));
    const { client, close } = await open(dataDir);
    assert.deepEqual(await client.list('things'), { kept: 1 });
    assert.deepEqual(await client.list('other'), {});
    await close();
  });

  it('goes on numbering records after a clean stop, so a later segment sorts after every older one', async () => {
    const dataDir = await tempDir('store-log');
    const first = await open(dataDir);
    for (let i = 0; i < 10; i++) await first.client.put('things', `k${i}`, i);
    await first.close();
    // The stop checkpointed: one empty segment, named after the next seq.
    const [empty] = await segments(dataDir);
    assert.equal(empty, '0000000000000011.log');
    await writeAndLeaveInLog(dataDir, async (client) => client.put('things', 'k0', 'newer'));
    const [line] = (await readFile(await newestSegment(dataDir), 'utf8')).split('\n');
    assert.equal(JSON.parse((line as string).slice(9)).seq, 11);
    const again = await open(dataDir, { checkpointLogBytes: 1 });
    await again.client.put('things', 'k1', 'newer');
    await again.close();
    const last = await open(dataDir);
    assert.equal(await last.client.get('things', 'k0'), 'newer');
    assert.equal(await last.client.get('things', 'k1'), 'newer');
    await last.close();
  });

  it('refuses to start, coded and naming segment and line, when a record before the last is damaged', async () => {
    const dataDir = await tempDir('store-log');
    await writeAndLeaveInLog(dataDir, async (client) => {
      for (let i = 0; i < 5; i++) await client.put('things', `k${i}`, { i });
    });
    const segment = await newestSegment(dataDir);
    const lines = (await readFile(segment, 'utf8')).split('\n');
    lines[2] = (lines[2] as string).replace('"k2"', '"kX"');
    await writeFile(segment, lines.join('\n'));
    await assert.rejects(openStore(dataDir), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'STORE_CORRUPT');
      assert.match(error.message, new RegExp(`segment ${path.basename(segment)} is damaged at line 3`));
      assert.match(error.message, /delete that one line/);
      return true;
    });
    // Left as it was, and the data directory is free again.
    assert.equal(await readFile(segment, 'utf8'), lines.join('\n'));
    await assert.rejects(openStore(dataDir), { code: 'STORE_CORRUPT' });
  });

  it('makes concurrent writes durable together: 64 writers cost a few fdatasyncs, not 64', async () => {
    const dataDir = await tempDir('store-log');
    const { store, client, close } = await open(dataDir);
    const before = store.logFlushes;
    await Promise.all(Array.from({ length: 64 }, (_, i) => client.put('burst', `k${i}`, { i })));
    const flushes = store.logFlushes - before;
    assert.ok(flushes <= 3, `64 concurrent writes took ${flushes} flushes`);
    assert.equal(await client.count('burst'), 64);
    await close();
  });

  it('refuses a batch whole when one of its writes is invalid, and logs nothing of it', async () => {
    const dataDir = await tempDir('store-log');
    await writeAndLeaveInLog(dataDir, async (client) => {
      await assert.rejects(
        client.batch([
          { op: 'put', collection: 'things', key: 'good', value: 1 },
          { op: 'put', collection: 'things', key: '', value: 2 },
        ]),
        { code: 'INVALID_STORE_COMMAND' },
      );
      await assert.rejects(client.batch([{ op: 'put', collection: 'things', key: 'good', value: 1n }]), { code: 'INVALID_STORE_COMMAND' });
      await assert.rejects(client.batch('nonsense' as never), { code: 'INVALID_STORE_COMMAND' });
      await assert.rejects(client.batch([{ op: 'rename', collection: 'things', key: 'good' } as never]), { code: 'INVALID_STORE_COMMAND' });
      assert.deepEqual(await client.list('things'), {});
    });
    assert.equal(await readFile(await newestSegment(dataDir), 'utf8'), '');
  });

  it('lists and counts a group by its own keys', async () => {
    const dataDir = await tempDir('store-log');
    const { client, close } = await open(dataDir);
    await client.batch([
      { op: 'put', collection: 'entries', key: groupKey('ann', 'b'), value: 'ann-b' },
      { op: 'put', collection: 'entries', key: groupKey('ann', 'a'), value: 'ann-a' },
      { op: 'put', collection: 'entries', key: groupKey('annie', 'a'), value: 'annie-a' },
      { op: 'put', collection: 'entries', key: 'ann', value: 'no group' },
    ]);
    assert.deepEqual(await client.keys('entries', { group: 'ann' }), [groupKey('ann', 'a'), groupKey('ann', 'b')]);
    assert.deepEqual(await client.list('entries', { group: 'ann' }), { [groupKey('ann', 'a')]: 'ann-a', [groupKey('ann', 'b')]: 'ann-b' });
    await client.delete('entries', groupKey('ann', 'a'));
    await close();
    const again = await open(dataDir);
    assert.deepEqual(await again.client.keys('entries', { group: 'ann' }), [groupKey('ann', 'b')]);
    assert.deepEqual(await again.client.keys('entries', { group: 'nobody' }), []);
    assert.deepEqual(await again.client.keys('entries'), ['ann', groupKey('ann', 'b'), groupKey('annie', 'a')]);
    await again.close();
  });

  it('counts and lists keys after a restart without reading a shard file', async () => {
    const dataDir = await tempDir('store-log');
    const first = await open(dataDir);
    await Promise.all(Array.from({ length: 100 }, (_, i) => first.client.put('users', `u${String(i).padStart(3, '0')}`, { i })));
    await first.close();
    const second = await open(dataDir);
    assert.equal(await second.client.count('users'), 100);
    assert.equal((await second.client.keys('users'))[99], 'u099');
    assert.equal(await second.client.get('users', 'nobody'), undefined);
    assert.equal(second.store.shardReads, 0);
    assert.deepEqual(await second.client.get('users', 'u042'), { i: 42 });
    assert.equal(second.store.shardReads, 1);
    await second.close();
  });

  it('rebuilds a missing or damaged key index from the shard files, once', async () => {
    const dataDir = await tempDir('store-log');
    const first = await open(dataDir);
    for (let i = 0; i < 30; i++) await first.client.put('users', `u${i}`, i);
    await first.close();
    const indexPath = path.join(dataDir, 'store', 'users', 'index.json');
    for (const damage of ['{"format":"safekeep.index","keys":', JSON.stringify({ format: 'safekeep.index', version: 1, fingerprints: {}, keys: ['b', 'a'], shards: [0, 0] }), null]) {
      if (damage === null) await rm(indexPath);
      else await writeFile(indexPath, damage);
      const again = await open(dataDir);
      const shardFiles = (await readdir(path.join(dataDir, 'store', 'users'))).filter((name) => name.startsWith('shard-'));
      assert.equal(again.store.shardReads, shardFiles.length);
      assert.equal(await again.client.count('users'), 30);
      assert.equal(await again.client.get('users', 'u7'), 7);
      await again.close();
      const rebuilt = await open(dataDir);
      assert.equal(await rebuilt.client.count('users'), 30);
      assert.equal(rebuilt.store.shardReads, 0);
      await rebuilt.close();
    }
  });

  it('checkpoints in the background once the log passes its size, and starts from the checkpoint and the rest of the log', async () => {
    const dataDir = await tempDir('store-log');
    const first = await open(dataDir, { checkpointLogBytes: 2048, checkpointOnStop: false });
    for (let i = 0; i < 200; i++) {
      await first.client.put('users', `u${i % 50}`, { i });
      if (i % 7 === 0) await first.client.delete('users', `u${(i + 3) % 50}`);
    }
    const model = await first.client.list('users');
    assert.ok(first.store.checkpoints >= 3, `only ${first.store.checkpoints} checkpoints`);
    await first.close();
    assert.ok((await segments(dataDir)).length <= 3, `the log kept ${(await segments(dataDir)).join(', ')}`);
    const second = await open(dataDir);
    assert.deepEqual(await second.client.list('users'), model);
    assert.equal(await second.client.count('users'), Object.keys(model).length);
    await second.close();
  });

  it('keeps in the log a write whose shard turns out damaged at the checkpoint', async () => {
    const dataDir = await tempDir('store-log');
    const first = await open(dataDir, { shardsPerCollection: 1 });
    await first.client.put('things', 'old', 1);
    await first.close();
    const second = await open(dataDir, { shardsPerCollection: 1 });
    // Damaged behind the running store's back: the write is accepted, the checkpoint on stop cannot take it.
    await writeFile(path.join(dataDir, 'store', 'things', 'shard-000.json'), '{"format":"safekeep.shard","documents":');
    await second.client.put('things', 'new', 2);
    await second.close();
    const third = await open(dataDir, { shardsPerCollection: 1 });
    assert.deepEqual(await third.client.get('things', 'new'), 2);
    await assert.rejects(third.client.get('things', 'old'), { code: 'STORE_CORRUPT' });
    await third.close();
  });
});
