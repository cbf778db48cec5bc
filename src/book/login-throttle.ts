import type { Clock } from '../clock/clock.ts';
import { TokenBuckets, type ThrottlePolicy } from './token-buckets.ts';

export type { ThrottlePolicy } from './token-buckets.ts';

/** The budgets login attempts draw on (see `BookOptions` for what each is for and its default). */
export interface LoginThrottlePolicies {
  readonly knownDevice: ThrottlePolicy;
  readonly unknownDevice: ThrottlePolicy;
  readonly perAccount: ThrottlePolicy;
  readonly perAddress: ThrottlePolicy;
  readonly perSession: ThrottlePolicy;
  readonly registration: ThrottlePolicy;
}

/** Who is trying: what decides which budgets an attempt draws on. */
export type LoginAttempt =
  /** A login with a valid device token of this user. */
  | { readonly kind: 'known-device'; readonly username: string; readonly device: string }
  /** A login without one (or with an invalid one). */
  | { readonly kind: 'unknown-device'; readonly username: string; readonly address: string }
  /** A master-password check inside a session (`user.change_password`). */
  | { readonly kind: 'session'; readonly session: string }
  /** A new user from this address: a budget of its own, never a login's (each one costs a hash and a record). */
  | { readonly kind: 'registration'; readonly address: string };

export type ThrottleVerdict = { readonly allowed: true; readonly refund: () => void } | { readonly allowed: false; readonly retryAfterMs: number };

/**
 * Login throttling after OWASP's "device cookies": an attacker who knows a
 * username (they are public: `check_users`) can use up only the budgets of
 * unknown devices, never the budget of a device the owner has logged in from.
 *
 * - a known device (valid device token) draws only on its own budget;
 * - an unknown device draws on three: this account from this address, this
 *   account from everywhere (so the attacker's total guesses per account stay
 *   bounded, however many addresses they have), and this address across
 *   accounts (against credential stuffing);
 * - a check inside a session draws only on that session's budget.
 *
 * An attempt takes a token from each of its budgets up front and a success
 * gives them back, so only failures use a budget up, and a parallel burst of
 * guesses cannot all get through before the first one fails. Unknown
 * usernames get budgets like known ones, so the throttle says nothing about
 * who exists. Registrations draw on none (see `PasswordBook`).
 */
export class LoginThrottle {
  readonly #knownDevice: TokenBuckets;
  readonly #unknownDevice: TokenBuckets;
  readonly #perAccount: TokenBuckets;
  readonly #perAddress: TokenBuckets;
  readonly #perSession: TokenBuckets;
  readonly #registration: TokenBuckets;

  constructor(clock: Clock, policies: LoginThrottlePolicies) {
    this.#knownDevice = new TokenBuckets(clock, policies.knownDevice);
    this.#unknownDevice = new TokenBuckets(clock, policies.unknownDevice);
    this.#perAccount = new TokenBuckets(clock, policies.perAccount);
    this.#perAddress = new TokenBuckets(clock, policies.perAddress);
    this.#perSession = new TokenBuckets(clock, policies.perSession);
    this.#registration = new TokenBuckets(clock, policies.registration);
  }

  /** Takes an attempt from every budget it draws on, or says how long until all of them have one. */
  attempt(attempt: LoginAttempt): ThrottleVerdict {
    const budgets = this.#budgetsOf(attempt);
    const retryAfterMs = Math.max(...budgets.map(([buckets, key]) => buckets.waitFor(key)));
    if (retryAfterMs > 0) return { allowed: false, retryAfterMs };
    budgets.forEach(([buckets, key]) => buckets.take(key));
    let refunded = false;
    return {
      allowed: true,
      refund: () => {
        if (!refunded) budgets.forEach(([buckets, key]) => buckets.give(key));
        refunded = true;
      },
    };
  }

  #budgetsOf(attempt: LoginAttempt): [TokenBuckets, string][] {
    switch (attempt.kind) {
      case 'known-device':
        return [[this.#knownDevice, `${attempt.username}\0${attempt.device}`]];
      case 'unknown-device':
        return [
          [this.#unknownDevice, `${attempt.username}\0${attempt.address}`],
          [this.#perAccount, attempt.username],
          [this.#perAddress, attempt.address],
        ];
      case 'session':
        return [[this.#perSession, attempt.session]];
      case 'registration':
        return [[this.#registration, attempt.address]];
    }
  }
}
