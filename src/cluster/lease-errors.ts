import { SafekeepError } from '../errors/safekeep-error.ts';

/**
 * This node no longer holds a shared job's lease (it ran out, or another node
 * took it), so what it was doing for the job must not count: a version copied
 * under the lost lease is not registered.
 */
export class LeaseLostError extends SafekeepError {
  readonly code = 'LEASE_LOST';
}
