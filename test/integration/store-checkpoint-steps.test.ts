import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { StoreClient } from '../../src/store/store-client.ts';
import { type LowdbStoreOptions } from '../../adapters/store/lowdb-store.ts';
import type { CheckpointStep } from '../../adapters/store/checkpointer.ts';
import { openStore } from '../helpers/open-store.ts';
import { tempDir } from '../helpers/temp-dir.ts';

type Options = Omit<LowdbStoreOptions, 'dataDir' | 'ids'>;

const open = (dataDir: string, options: Options = {}) => openStore(dataDir, { shardsPerCollection: 4, ...options });

/** The whole store as a client sees it. */
async function contents(client: StoreClient): Promise<unknown> {
  return { users: await client.list('users'), jobs: await client.list('jobs'), counts: [await client.count('users'), await client.count('jobs')], keys: await client.keys('users') };
}

/** A data directory with a checkpoint behind it and more acknowledged writes in the log. */
async function dataDirWithLog(): Promise<string> {
  const dataDir = await tempDir('checkpoint-steps');
  const first = await open(dataDir);
  for (let i = 0; i < 24; i++) await first.client.put('users', `u${i}`, { i, v: 1 });
  await first.client.put('jobs', 'j1', { v: 1 });
  await first.close();
  const second = await open(dataDir, { checkpointOnStop: false });
  for (let i = 0; i < 24; i += 3) await second.client.put('users', `u${i}`, { i, v: 2 });
  for (let i = 1; i < 24; i += 5) await second.client.delete('users', `u${i}`);
  await second.client.batch([
    { op: 'put', collection: 'users', key: 'new', value: { v: 3 } },
    { op: 'delete', collection: 'jobs', key: 'j1' },
    { op: 'put', collection: 'jobs', key: 'j2', value: { v: 3 } },
  ]);
  await second.close();
  return dataDir;
}

describe('a checkpoint stopped after any step', () => {
  it('leaves a data directory that starts with every acknowledged write, and checkpoints again cleanly', async () => {
    const template = await dataDirWithLog();
    const reference = await open(template, { checkpointOnStop: false });
    const expected = await contents(reference.client);
    await reference.close();

    const seen: CheckpointStep[] = [];
    for (let stopAfter = 1; ; stopAfter++) {
      // Built afresh rather than copied: a copy has new inodes, so every shard would be read at start and the key
      // index's own word about the shards (the path a real kill takes) would go untested.
      const dataDir = await dataDirWithLog();
      let steps = 0;
      let stoppedAt: CheckpointStep | null = null;
      const killed = await open(dataDir, {
        // The checkpoint of the stop; the hook ends it after step number `stopAfter`, as a kill there would.
        afterCheckpointStep: async (step) => {
          if (++steps < stopAfter) return;
          stoppedAt = step;
          throw new Error('killed here');
        },
      });
      await killed.close();
      if (stoppedAt === null) break;
      seen.push(stoppedAt);

      const restarted = await open(dataDir);
      assert.deepEqual(await contents(restarted.client), expected, `after a stop at step ${stopAfter} (${stoppedAt})`);
      await restarted.close();
      // That restart's own checkpoint finished the job: the log is one (empty) segment.
      assert.equal((await readdir(path.join(dataDir, 'store', 'log'))).length, 1);
      const again = await open(dataDir);
      assert.deepEqual(await contents(again.client), expected, `after a stop at step ${stopAfter} (${stoppedAt}), then a clean checkpoint`);
      await again.close();
    }
    assert.deepEqual([...new Set(seen)], ['rolled', 'shard-written', 'index-written', 'segments-deleted']);
  });
});
