import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LowdbStore } from '../adapters/store/lowdb-store.ts';
import { Bus } from '../src/bus/bus.ts';
import { sequentialIds } from '../src/ids/ids.ts';
import { StoreClient } from '../src/store/store-client.ts';

/**
 * Store writes: the time of one durable write of one user's book into a
 * collection that already holds many users, sharded (the default, 256 shards)
 * against one file (what plain lowdb does). Both run in the same process, in
 * turn, on the same disk; the ratio is printed. The 100,000-user case of the
 * README scales this up: the single file grows with the users, the shard does
 * not grow past 1/256 of them.
 */
const USERS = 20_000;
const WRITES = 20;
// About what a user with 10 sealed entries weighs in the store.
const BOOK = { entries: Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`entry_${i}`, { sealed: { iv: 'x'.repeat(16), data: 'y'.repeat(120) } }])) };

async function msPerWrite(shards: number): Promise<number> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'safekeep-bench-store-'));
  const bus = new Bus();
  const ids = sequentialIds();
  const store = new LowdbStore({ dataDir, ids, shardsPerCollection: shards });
  await store.start(bus);
  const client = new StoreClient(bus, ids);
  // Filled concurrently so the flushes group; what is timed is the single writes after.
  await Promise.all(Array.from({ length: USERS }, (_, i) => client.put('book.users', `user${i}`, BOOK)));
  const started = performance.now();
  for (let i = 0; i < WRITES; i++) await client.put('book.users', `user${(i * 7919) % USERS}`, { ...BOOK, changed: i });
  const elapsed = (performance.now() - started) / WRITES;
  client.dispose();
  await store.stop();
  await rm(dataDir, { recursive: true, force: true });
  return elapsed;
}

const single = await msPerWrite(1);
const sharded = await msPerWrite(256);
console.log(`store, one durable write into a collection of ${USERS} users (mean of ${WRITES})`);
console.log(`  one file (plain lowdb layout)  ${single.toFixed(1)} ms`);
console.log(`  256 shards (safekeep)          ${sharded.toFixed(1)} ms`);
console.log(`  ratio                          ${(single / sharded).toFixed(1)}× faster`);
