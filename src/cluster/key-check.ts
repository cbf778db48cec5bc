import { createHmac } from 'node:crypto';

/** What the key check is an HMAC of: a fixed label, so the value proves the key and says nothing else. */
const KEY_CHECK_LABEL = 'safekeep.cluster.key-check';

/**
 * The value a node publishes to show which service key it holds, without the
 * key: HMAC-SHA256(service key, 'safekeep.cluster.key-check'), hex. Two nodes
 * share the key exactly when their key checks are equal.
 *
 * @example
 * keyCheckOf(await loadServiceKey(dataDir, systemRandom)); // '5f1c…' (64 hex digits)
 */
export function keyCheckOf(serviceKey: Uint8Array): string {
  return createHmac('sha256', serviceKey).update(KEY_CHECK_LABEL).digest('hex');
}
