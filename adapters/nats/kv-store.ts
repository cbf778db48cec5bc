import type { Bus } from '../../src/bus/bus.ts';
import type { Clock } from '../../src/clock/clock.ts';
import type { HostAdapter } from '../../src/ports/host-adapter.ts';
import type { NatsLink } from './nats-link.ts';

export interface NatsKvStoreOptions {
  readonly link: NatsLink;
  readonly name: string;
  readonly nodeName: string;
  readonly replicas: number;
  readonly clock: Clock;
}

/**
 * The cluster-wide store: the same `store.command` / `store.result` contract
 * as the lowdb store, kept in JetStream KV. (Skeleton: built in issue 14's store part.)
 */
export class NatsKvStore implements HostAdapter {
  readonly name = 'store';

  constructor(_options: NatsKvStoreOptions) {}

  countNow(_collection: string): number {
    return 0;
  }

  async start(_bus: Bus): Promise<void> {
    throw new Error('The NATS KV store is not built yet');
  }

  async stop(): Promise<void> {}
}
