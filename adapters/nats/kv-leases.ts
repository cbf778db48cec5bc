import type { JobLeases, LeaseHold } from '../../src/ports/job-leases.ts';
import type { NatsLink } from './nats-link.ts';

/** Shared jobs' leases in a JetStream KV bucket with a TTL. (Skeleton: built in issue 14's jobs part.) */
export class KvLeases implements JobLeases {
  constructor(_options: { link: NatsLink; name: string; nodeName: string; replicas: number; leaseTtlMs: number }) {}

  async open(): Promise<void> {}

  acquire(): Promise<LeaseHold | null> {
    return Promise.reject(new Error('Leases are not built yet'));
  }

  renew(): Promise<LeaseHold | null> {
    return Promise.reject(new Error('Leases are not built yet'));
  }

  async release(): Promise<void> {}

  async holders(): Promise<Record<string, { node: string; renewedAt: number }>> {
    return {};
  }
}
