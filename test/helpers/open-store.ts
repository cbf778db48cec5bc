import { LowdbStore, type LowdbStoreOptions } from '../../adapters/store/lowdb-store.ts';
import { Bus } from '../../src/bus/bus.ts';
import { sequentialIds } from '../../src/ids/ids.ts';
import { StoreClient } from '../../src/store/store-client.ts';

/** A store on its own bus, with a client: what every store test starts from. */
export interface OpenedStore {
  readonly bus: Bus;
  readonly store: LowdbStore;
  readonly client: StoreClient;
  /** Disposes the client and stops the store (which checkpoints and releases the lock). */
  close(): Promise<void>;
}

/** Starts a `LowdbStore` on `dataDir`; store and client share one id source (`options.ids`, sequential by default). */
export async function openStore(dataDir: string, options: Partial<Omit<LowdbStoreOptions, 'dataDir'>> = {}): Promise<OpenedStore> {
  const bus = new Bus();
  const ids = options.ids ?? sequentialIds();
  const store = new LowdbStore({ ...options, dataDir, ids });
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
