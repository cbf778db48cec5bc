import type { Bus } from '../../src/bus/bus.ts';
import type { RemoteAnswer, RemoteRequests } from '../../src/ports/remote-requests.ts';
import type { NatsLink } from './nats-link.ts';

/** Carries `backup.*` events and routed requests between nodes over NATS subjects. (Skeleton: built in issue 14's bridge part.) */
export class BusBridge implements RemoteRequests {
  constructor(_options: { link: NatsLink; name: string; nodeName: string }) {}

  send(): Promise<RemoteAnswer> {
    return Promise.reject(new Error('The bus bridge is not built yet'));
  }

  async start(_bus: Bus): Promise<void> {}

  async stop(): Promise<void> {}
}
