/** What a queue does with its items and tells about them. */
export interface DeliveryQueueOptions<T> {
  /** Items waiting (besides the one being delivered); past it the oldest waiting one is dropped. */
  readonly capacity: number;
  /** Delivers one item; `signal` aborts when the queue is stopped past its grace. */
  readonly deliver: (item: T, signal: AbortSignal) => Promise<void>;
  /** A delivery failed (after its own retries). */
  readonly onFailed: (item: T, error: unknown) => void;
  /**
   * `count` items were dropped unsent, because the queue was full (`full`) or
   * the stop's grace ran out (`stopping`): told once per pile-up, not once
   * per item, so a dead receiver does not flood the log.
   */
  readonly onDropped: (count: number, because: 'full' | 'stopping') => void;
}

/**
 * One channel's notifications, delivered one at a time in order, never on
 * the caller's time: `push` returns at once, so a slow or dead receiver can
 * hold up only this queue, never the bus or a backup. Bounded: when the
 * receiver stays down, the oldest waiting items go first (the newest say the
 * most about now), and how many went is reported once.
 *
 * @example
 * const queue = new DeliveryQueue({ capacity: 100, deliver: post, onFailed: report, onDropped: reportDrops });
 * queue.push(notice);
 * await queue.stop(5_000);
 */
export class DeliveryQueue<T> {
  readonly #options: DeliveryQueueOptions<T>;
  readonly #waiting: T[] = [];
  readonly #abort = new AbortController();
  #dropped = 0;
  #stopping = false;
  /** The running worker, or null when the queue is idle. */
  #working: Promise<void> | null = null;

  constructor(options: DeliveryQueueOptions<T>) {
    this.#options = options;
  }

  /** Queues an item; ignored once the queue is stopping. */
  push(item: T): void {
    if (this.#stopping) return;
    this.#waiting.push(item);
    if (this.#waiting.length > this.#options.capacity) {
      this.#waiting.shift();
      this.#dropped++;
    }
    this.#working ??= this.#work().finally(() => {
      this.#working = null;
    });
  }

  /** Items waiting, not counting one being delivered. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Resolves when nothing is waiting or being delivered (tests; stop). */
  async idle(): Promise<void> {
    while (this.#working) await this.#working;
  }

  /**
   * Accepts nothing more and gives what is queued `graceMs` to go out; then
   * aborts the delivery under way and drops the rest (reported as dropped).
   */
  async stop(graceMs: number): Promise<void> {
    this.#stopping = true;
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), graceMs);
    });
    const outcome = await Promise.race([this.idle().then(() => 'done' as const), graceOver]);
    clearTimeout(timer);
    if (outcome === 'late') {
      this.#reportDropped();
      const left = this.#waiting.splice(0).length;
      this.#abort.abort(new Error('the service is stopping'));
      await this.idle();
      if (left > 0) this.#options.onDropped(left, 'stopping');
    }
    this.#reportDropped();
  }

  async #work(): Promise<void> {
    for (let item = this.#waiting.shift(); item !== undefined; item = this.#waiting.shift()) {
      try {
        await this.#options.deliver(item, this.#abort.signal);
      } catch (error) {
        this.#options.onFailed(item, error);
      }
      // Told after the delivery that held the queue up, once for all that piled up meanwhile.
      this.#reportDropped();
    }
  }

  #reportDropped(): void {
    if (this.#dropped === 0) return;
    const count = this.#dropped;
    this.#dropped = 0;
    this.#options.onDropped(count, 'full');
  }
}
