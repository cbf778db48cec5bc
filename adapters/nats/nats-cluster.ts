import type { Bus } from '../../src/bus/bus.ts';
import type { Clock } from '../../src/clock/clock.ts';
import type { ResolvedClusterOptions } from '../../src/cluster/cluster-options.ts';
import type { IdSource } from '../../src/ids/ids.ts';
import type { ClusterAdapter } from '../../src/ports/cluster.ts';
import type { ClusterView } from '../../src/ports/cluster-view.ts';
import type { JobLeases } from '../../src/ports/job-leases.ts';
import type { RemoteRequests } from '../../src/ports/remote-requests.ts';
import type { VersionBlobs } from '../../src/ports/version-blobs.ts';
import { BusBridge } from './bus-bridge.ts';
import { KvLeases } from './kv-leases.ts';
import { NatsKvStore } from './kv-store.ts';
import { NatsLink } from './nats-link.ts';
import { NodeRegistry } from './node-registry.ts';
import { ObjectBlobs } from './object-blobs.ts';

export interface NatsClusterOptions extends ResolvedClusterOptions {
  readonly clock: Clock;
  readonly ids: IdSource;
}

/**
 * The host's edge onto a NATS JetStream cluster (`--cluster`): one
 * connection, and on it the cluster-wide store (KV), the versions' object
 * store, the shared jobs' leases, the registry of live nodes, and the bridge
 * that carries `backup.*` events and routed requests between nodes. Loaded
 * only when a cluster is asked for.
 */
export class NatsCluster implements ClusterAdapter {
  readonly name = 'cluster';
  readonly node: string;
  readonly store: NatsKvStore | null;
  readonly blobs: VersionBlobs | null;
  readonly leases: JobLeases;
  readonly remote: RemoteRequests;
  readonly view: ClusterView;
  readonly #link: NatsLink;
  readonly #bridge: BusBridge;
  readonly #registry: NodeRegistry;
  readonly #leases: KvLeases;
  readonly #blobs: ObjectBlobs | null;

  constructor(options: NatsClusterOptions) {
    this.node = options.nodeName;
    this.#link = new NatsLink(options);
    this.store = options.store === 'nats' ? new NatsKvStore({ ...options, link: this.#link }) : null;
    this.#blobs = options.versionStore === 'nats' ? new ObjectBlobs({ ...options, link: this.#link }) : null;
    this.blobs = this.#blobs;
    this.#leases = new KvLeases({ ...options, link: this.#link });
    this.leases = this.#leases;
    this.#registry = new NodeRegistry({ ...options, link: this.#link });
    this.#bridge = new BusBridge({ ...options, link: this.#link, locate: (job) => this.#registry.locate(job) });
    this.remote = this.#bridge;
    this.view = this.#registry;
  }

  async start(bus: Bus): Promise<void> {
    await this.#link.open(bus);
    try {
      await this.#blobs?.open();
      await this.#leases.open();
      await this.#registry.start(bus);
      await this.#bridge.start(bus);
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  async stop(): Promise<void> {
    await this.#bridge.stop().catch(() => undefined);
    await this.#registry.stop().catch(() => undefined);
    await this.#link.close();
  }
}
