import type { Clock, TimerHandle } from '../../src/clock/clock.ts';

/**
 * One timer on the injected clock that can be started again and stopped, and
 * knows whether it is running: a connection holds several (idle, request
 * deadline, quiet tail, linger), each with one callback.
 */
export class ClockTimer {
  readonly #clock: Clock;
  readonly #onFire: () => void;
  #handle: TimerHandle | null = null;

  constructor(clock: Clock, onFire: () => void) {
    this.#clock = clock;
    this.#onFire = onFire;
  }

  get running(): boolean {
    return this.#handle !== null;
  }

  /** Fires `onFire` after `delayMs`, replacing any earlier start. */
  start(delayMs: number): void {
    this.stop();
    this.#handle = this.#clock.setTimeout(() => {
      this.#handle = null;
      this.#onFire();
    }, delayMs);
  }

  stop(): void {
    if (this.#handle !== null) this.#clock.clearTimeout(this.#handle);
    this.#handle = null;
  }
}
