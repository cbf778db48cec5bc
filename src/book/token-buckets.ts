import type { Clock } from '../clock/clock.ts';

/** A token bucket: `burst` attempts at once, then one more every `refillMs`. */
export interface ThrottlePolicy {
  readonly burst: number;
  readonly refillMs: number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/** Buckets beyond this many are pruned (full ones first), so probing random names cannot grow memory without end. */
const MAX_BUCKETS = 100_000;

/**
 * One budget: a token bucket per key (a username, an address, a device), all
 * with the same policy, refilled on the injected clock.
 */
export class TokenBuckets {
  readonly #clock: Clock;
  readonly #policy: ThrottlePolicy;
  readonly #buckets = new Map<string, Bucket>();

  constructor(clock: Clock, policy: ThrottlePolicy) {
    if (!(policy.burst >= 1) || !(policy.refillMs > 0)) throw new RangeError('A throttle policy needs burst ≥ 1 and refillMs > 0');
    this.#clock = clock;
    this.#policy = policy;
  }

  /** 0 when `key` has an attempt left, else how long until it has one. */
  waitFor(key: string): number {
    const bucket = this.#refilled(key);
    return bucket.tokens >= 1 ? 0 : Math.ceil((1 - bucket.tokens) * this.#policy.refillMs);
  }

  take(key: string): void {
    this.#refilled(key).tokens -= 1;
  }

  /** Gives back what `take` took (after the attempt succeeded), never above the burst. */
  give(key: string): void {
    const bucket = this.#buckets.get(key);
    if (bucket) bucket.tokens = Math.min(this.#policy.burst, bucket.tokens + 1);
  }

  #refilled(key: string): Bucket {
    const now = this.#clock.now();
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      if (this.#buckets.size >= MAX_BUCKETS) this.#prune(now);
      bucket = { tokens: this.#policy.burst, updatedAt: now };
      this.#buckets.set(key, bucket);
    }
    bucket.tokens = Math.min(this.#policy.burst, bucket.tokens + (now - bucket.updatedAt) / this.#policy.refillMs);
    bucket.updatedAt = now;
    return bucket;
  }

  #prune(now: number): void {
    const { burst, refillMs } = this.#policy;
    for (const [key, bucket] of this.#buckets) {
      if (bucket.tokens + (now - bucket.updatedAt) / refillMs >= burst) this.#buckets.delete(key);
    }
    // Still full of throttled keys: forget the oldest half rather than refuse everyone.
    if (this.#buckets.size >= MAX_BUCKETS) [...this.#buckets.keys()].slice(0, this.#buckets.size / 2).forEach((key) => this.#buckets.delete(key));
  }
}
