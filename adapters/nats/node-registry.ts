import type { Bus } from '../../src/bus/bus.ts';
import type { ClusterSnapshot, ClusterView } from '../../src/ports/cluster-view.ts';
import type { KvLeases } from './kv-leases.ts';
import type { NatsLink } from './nats-link.ts';

/** The live nodes, each heard from through a KV bucket with a TTL. (Skeleton: built in issue 14's bridge part.) */
export class NodeRegistry implements ClusterView {
  readonly #link: NatsLink;
  readonly #node: string;

  constructor(options: { link: NatsLink; name: string; nodeName: string; replicas: number; leases: KvLeases }) {
    this.#link = options.link;
    this.#node = options.nodeName;
  }

  snapshot(): ClusterSnapshot {
    return { node: this.#node, connected: this.#link.connected, server: this.#link.server, nodes: [], leases: [] };
  }

  async start(_bus: Bus): Promise<void> {}

  async stop(): Promise<void> {}
}
