import { SafekeepError } from '../errors/safekeep-error.ts';

/**
 * Whether a failed store write may still have been stored: the cluster's
 * store says so when its attempt timed out unacknowledged, or its link
 * dropped after the attempt was sent (STORE_WRITE_FAILED or STORE_UNAVAILABLE
 * with "may or may not have been stored"; see adapters/nats/kv-publisher.ts).
 * What such a record would name must not be deleted on the failure alone.
 */
export function mayHaveBeenStored(error: unknown): boolean {
  if (!(error instanceof SafekeepError)) return false;
  return (error.code === 'STORE_WRITE_FAILED' || error.code === 'STORE_UNAVAILABLE') && /may or may not have been stored/i.test(error.message);
}
