// Child process for the store crash test: writes documents as fast as the store
// acknowledges them, 32 in flight, and prints each acknowledged key on its own line.
import { Bus } from '../../../src/bus/bus.ts';
import { randomIds } from '../../../src/ids/ids.ts';
import { StoreClient } from '../../../src/store/store-client.ts';
import { LowdbStore } from '../../../adapters/store/lowdb-store.ts';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: store-write-burst DATA_DIR');

const bus = new Bus();
await new LowdbStore({ dataDir, ids: randomIds, shardsPerCollection: 8 }).start(bus);
const client = new StoreClient(bus, randomIds);
process.stdout.write('ready\n');

let next = 0;
async function writer(): Promise<never> {
  for (;;) {
    const key = `k${next++}`;
    await client.put('burst', key, { key, padding: 'x'.repeat(200) });
    process.stdout.write(`acked ${key}\n`);
  }
}
await Promise.all(Array.from({ length: 32 }, writer));
