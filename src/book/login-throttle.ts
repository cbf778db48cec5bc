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
 * Limits login attempts per username and per client address. An attempt
 * needs a token in both buckets and takes one from each; a successful attempt
 * gives them back, so only failures use the budget up (taking first and
 * refunding after keeps a parallel burst of guesses from all getting through
 * before the first one fails). The buckets refill slowly on the injected clock. Unknown usernames get buckets like known ones,
 * so the throttle says nothing about who exists.
 */
export class LoginThrottle {
  readonly #clock: Clock;
  readonly #perUser: ThrottlePolicy;
  readonly #perAddress: ThrottlePolicy;
  readonly #users = new Map<string, Bucket>();
  readonly #addresses = new Map<string, Bucket>();

  constructor(clock: Clock, policies: { perUser: ThrottlePolicy; perAddress: ThrottlePolicy }) {
    this.#clock = clock;
    this.#perUser = policies.perUser;
    this.#perAddress = policies.perAddress;
  }

  /** Takes an attempt, or says how long until one is allowed. */
  attempt(username: string, address: string): { allowed: true } | { allowed: false; retryAfterMs: number } {
    const now = this.#clock.now();
    const user = this.#refilled(this.#users, username, this.#perUser, now);
    const client = this.#refilled(this.#addresses, address, this.#perAddress, now);
    if (user.tokens < 1 || client.tokens < 1) {
      const wait = (bucket: Bucket, policy: ThrottlePolicy) => (bucket.tokens >= 1 ? 0 : Math.ceil((1 - bucket.tokens) * policy.refillMs));
      return { allowed: false, retryAfterMs: Math.max(wait(user, this.#perUser), wait(client, this.#perAddress)) };
    }
    user.tokens -= 1;
    client.tokens -= 1;
    return { allowed: true };
  }

  /** Gives back what `attempt` took, after the attempt succeeded. */
  refund(username: string, address: string): void {
    const give = (buckets: Map<string, Bucket>, key: string, policy: ThrottlePolicy) => {
      const bucket = buckets.get(key);
      if (bucket) bucket.tokens = Math.min(policy.burst, bucket.tokens + 1);
    };
    give(this.#users, username, this.#perUser);
    give(this.#addresses, address, this.#perAddress);
  }

  #refilled(buckets: Map<string, Bucket>, key: string, policy: ThrottlePolicy, now: number): Bucket {
    let bucket = buckets.get(key);
    if (!bucket) {
      if (buckets.size >= MAX_BUCKETS) this.#prune(buckets, policy, now);
      bucket = { tokens: policy.burst, updatedAt: now };
      buckets.set(key, bucket);
    }
    bucket.tokens = Math.min(policy.burst, bucket.tokens + (now - bucket.updatedAt) / policy.refillMs);
    bucket.updatedAt = now;
    return bucket;
  }

  #prune(buckets: Map<string, Bucket>, policy: ThrottlePolicy, now: number): void {
    for (const [key, bucket] of buckets) {
      if (bucket.tokens + (now - bucket.updatedAt) / policy.refillMs >= policy.burst) buckets.delete(key);
    }
    // Still full of throttled keys: forget the oldest half rather than refuse everyone.
    if (buckets.size >= MAX_BUCKETS) [...buckets.keys()].slice(0, buckets.size / 2).forEach((key) => buckets.delete(key));
  }
}
