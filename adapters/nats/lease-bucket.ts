import type { NatsConnection } from '@nats-io/transport-node';

/**
 * Replicas for a bucket: what the options ask for, but 1 on a NATS server
 * that is not clustered (JetStream refuses more there), so one test server
 * or one dev server works without `--replicas 1`.
 */
export function bucketReplicas(connection: NatsConnection, requested: number): number {
  return connection.info?.cluster ? requested : 1;
}
