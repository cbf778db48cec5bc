import type { Clock, TimerHandle } from './clock.ts';

/**
 * Things that must each be done by a deadline, on one timer of the clock: it
 * waits for the earliest deadline; when it fires, everything past due
 * expires (each distinct callback called once), and it waits for the next. Adding and removing are a map
 * operation each, where a timer per request would cost more than the rest
 * of a quick request; and with nothing due there is no timer at all.
 *
 * @example
 * const deadlines = new Deadlines<string>(clock);
 * deadlines.add('req_1', clock.now() + 30_000, () => reject(new RequestTimeoutError('…')));
 * deadlines.delete('req_1'); // answered in time
 */
export class Deadlines<K> {
  readonly #clock: Clock;
  readonly #due = new Map<K, { readonly at: number; readonly expire: () => void }>();
  #timer: TimerHandle | null = null;
  /** When the timer fires, or Infinity with no timer. */
  #timerAt = Infinity;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  get size(): number {
    return this.#due.size;
  }

  /** Calls `expire` at clock time `at` unless `key` is deleted first; a key added again replaces its deadline. */
  add(key: K, at: number, expire: () => void): void {
    this.#due.set(key, { at, expire });
    if (at < this.#timerAt) this.#arm(at);
  }

  delete(key: K): void {
    // The timer is left as it is, even with nothing left due: it finds nothing when it fires. Clearing it here
    // would set and clear a timer for every request of a client that sends one at a time.
    this.#due.delete(key);
  }

  clear(): void {
    this.#due.clear();
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
    this.#timerAt = Infinity;
  }

  #arm(at: number): void {
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = this.#clock.setTimeout(() => this.#fire(), Math.max(0, at - this.#clock.now()));
  }

  #fire(): void {
    this.#timer = null;
    this.#timerAt = Infinity;
    const now = this.#clock.now();
    let next = Infinity;
    // Each callback once, however many of its keys are due: a callback that looks at everything due need not run per key.
    const expired = new Set<() => void>();
    for (const [key, { at, expire }] of this.#due) {
      if (at <= now) {
        this.#due.delete(key);
        expired.add(expire);
      } else if (at < next) {
        next = at;
      }
    }
    if (next < Infinity) this.#arm(next);
    for (const expire of expired) expire();
  }
}
