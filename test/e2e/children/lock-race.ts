// Child process for the lock race test: opens the store on DATA_DIR, pausing
// PAUSE_MS after each step of taking the lock so that two of these started
// together overlap at every step. The owner writes COUNT documents one after
// another, printing each acknowledged key, then stops; a refused one prints
// `refused CODE` and exits 3.
import { setTimeout as sleep } from 'node:timers/promises';
import { Bus } from '../../../src/bus/bus.ts';
import { randomIds } from '../../../src/ids/ids.ts';
import { StoreClient } from '../../../src/store/store-client.ts';
import { LowdbStore } from '../../../adapters/store/lowdb-store.ts';

const [dataDir, name, pauseMs, count] = process.argv.slice(2);
if (!dataDir || !name || !pauseMs || !count) throw new Error('usage: lock-race DATA_DIR NAME PAUSE_MS COUNT');

const bus = new Bus();
const store = new LowdbStore({ dataDir, ids: randomIds, shardsPerCollection: 1, lockOptions: { afterStep: () => sleep(Number(pauseMs)) } });
try {
  await store.start(bus);
} catch (error) {
  process.stdout.write(`refused ${(error as { code?: string }).code ?? String(error)}\n`);
  process.exit(3);
}
process.stdout.write('owner\n');
const client = new StoreClient(bus, randomIds);
for (let index = 0; index < Number(count); index++) {
  const key = `${name}-${index}`;
  await client.put('race', key, { key });
  process.stdout.write(`acked ${key}\n`);
  // Gives a second owner, were there one, time to write the same shard in between.
  await sleep(5);
}
client.dispose();
await store.stop();
