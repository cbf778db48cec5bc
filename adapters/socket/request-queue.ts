/**
 * One connection's requests between its framer and the bus. At most
 * `maxUnanswered` are on the bus unanswered at a time; the rest wait here,
 * and while any wait the connection reads no more. So one client can never
 * put more than `maxUnanswered` requests ahead of everyone else's, and the
 * connections take turns.
 *
 * @example
 * const queue = new RequestQueue<string>(2);
 * queue.add(['a', 'b', 'c']);
 * queue.next(); // 'a'
 * queue.next(); // 'b'
 * queue.next(); // undefined: two unanswered
 * queue.answered();
 * queue.next(); // 'c'
 */
export class RequestQueue<T> {
  readonly maxUnanswered: number;
  #waiting: T[] = [];
  /** Index of the first waiting item: taking from the front of a long array one by one must not copy it each time. */
  #head = 0;
  #unanswered = 0;

  constructor(maxUnanswered: number) {
    this.maxUnanswered = maxUnanswered;
  }

  /** Requests put on the bus and not yet answered. */
  get unanswered(): number {
    return this.#unanswered;
  }

  /** Requests received and held back. */
  get waiting(): number {
    return this.#waiting.length - this.#head;
  }

  /** Nothing held back and nothing unanswered. */
  get isEmpty(): boolean {
    return this.waiting === 0 && this.#unanswered === 0;
  }

  add(items: readonly T[]): void {
    for (const item of items) this.#waiting.push(item);
  }

  /** The next request that may go on the bus now (then counted unanswered), or undefined. */
  next(): T | undefined {
    if (this.#unanswered >= this.maxUnanswered || this.waiting === 0) return undefined;
    const item = this.#waiting[this.#head] as T;
    this.#head++;
    if (this.#head === this.#waiting.length) this.dropWaiting();
    this.#unanswered++;
    return item;
  }

  /** A reply to one of the unanswered requests went out. */
  answered(): void {
    if (this.#unanswered > 0) this.#unanswered--;
  }

  /** Forgets the requests held back (the host is stopping: it takes no new ones). */
  dropWaiting(): void {
    this.#waiting = [];
    this.#head = 0;
  }
}
