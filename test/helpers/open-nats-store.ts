import { NatsKvStore, type NatsKvStoreOptions } from '../../adapters/nats/kv-store.ts';
import { NatsLink } from '../../adapters/nats/nats-link.ts';
import { Bus } from '../../src/bus/bus.ts';
import { systemClock } from '../../src/clock/clock.ts';
import { sequentialIds } from '../../src/ids/ids.ts';
import type { StoreChanged } from '../../src/store/messages.ts';
import { StoreClient } from '../../src/store/store-client.ts';

/** One node's cluster store on its own bus and link, with a client: what every NATS store test starts from. */
export interface OpenedNatsStore {
  readonly bus: Bus;
  readonly link: NatsLink;
  readonly store: NatsKvStore;
  readonly client: StoreClient;
  /** Every `store.changed` this node's store emitted. */
  readonly changes: StoreChanged[];
  /** Every `cluster.link` state, in order. */
  readonly links: string[];
  close(): Promise<void>;
}

/**
 * Opens a `NatsLink` to `servers` as node `nodeName` and starts a
 * `NatsKvStore` on it (prefix `name`, default `safekeep`).
 *
 * @example
 * const a = await openNatsStore(nats.urls, 'a');
 * await a.client.put('things', 'k', 1);
 */
export async function openNatsStore(
  servers: readonly string[],
  nodeName: string,
  options: Partial<Omit<NatsKvStoreOptions, 'link' | 'nodeName'>> & { learnServers?: boolean } = {},
): Promise<OpenedNatsStore> {
  const bus = new Bus();
  const changes: StoreChanged[] = [];
  const links: string[] = [];
  bus.on$('store.changed').subscribe((change) => changes.push(change));
  bus.on$('cluster.link').subscribe((link) => links.push(link.state));
  const link = new NatsLink({ servers, nodeName, ...(options.learnServers === undefined ? {} : { learnServers: options.learnServers }) });
  await link.open(bus);
  const store = new NatsKvStore({ name: 'safekeep', replicas: 3, clock: systemClock, ...options, link, nodeName });
  try {
    await store.start(bus);
  } catch (error) {
    await link.close();
    throw error;
  }
  const client = new StoreClient(bus, sequentialIds());
  return {
    bus,
    link,
    store,
    client,
    changes,
    links,
    async close() {
      client.dispose();
      await store.stop();
      await link.close();
    },
  };
}
