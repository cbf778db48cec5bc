import { SafekeepError } from '../errors/safekeep-error.ts';

/**
 * This node no longer holds a shared job's lease (it ran out, or another node
 * took it), so what it was doing for the job must not count: a version copied
 * under the lost lease is not registered.
 */
export class LeaseLostError extends SafekeepError {
  readonly code = 'LEASE_LOST';
}

/** The cluster's leases bucket was made with another TTL than this node's `--lease-ttl`: every node must use the same. */
export class LeaseTtlMismatchError extends SafekeepError {
  readonly code = 'CLUSTER_CONFIG_MISMATCH';
}
