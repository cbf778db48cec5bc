/**
 * The lease loop's periods, all derived from the lease TTL.
 *
 * - A holder renews every third of the TTL, so two renewals can fail and the
 *   third still lands in time.
 * - It trusts its hold for the TTL minus a margin (a fifth of it) after the
 *   write that last confirmed it was sent: the store cannot expire the lease
 *   before that write + TTL, so the job is stopped (copy abandoned) with a
 *   fifth of the TTL to spare before another node can take it.
 * - While renewals fail it retries every tenth of the TTL.
 * - Every node looks at the leases every quarter TTL and takes the free ones:
 *   a lease that ran out is taken within TTL/4 (plus the store's expiry lag),
 *   and one given up by a stopping node within TTL/4.
 * - Every lease call counts as failed if it has not answered within a third
 *   of the TTL (a renewal period), so a call that hangs can never stop the
 *   loop, nor hold a job's renewals or its fence.
 */
export interface LeaseTimings {
  readonly renewEveryMs: number;
  readonly trustForMs: number;
  readonly retryRenewMs: number;
  readonly lookEveryMs: number;
  readonly callLimitMs: number;
}

export function leaseTimings(ttlMs: number): LeaseTimings {
  return {
    renewEveryMs: Math.floor(ttlMs / 3),
    trustForMs: ttlMs - Math.ceil(ttlMs / 5),
    retryRenewMs: Math.max(1, Math.floor(ttlMs / 10)),
    lookEveryMs: Math.max(1, Math.floor(ttlMs / 4)),
    callLimitMs: Math.max(1, Math.floor(ttlMs / 3)),
  };
}
