import type { Clock, TimerHandle } from '../clock/clock.ts';

/**
 * A replay's clock: time is whatever the replay last set, and a timer fires
 * only when the replay says so (when the recording shows it fired). Timers are
 * numbered in the order they are set, as the recorder numbers them.
 */
export class ScriptedClock implements Clock {
  #now: number;
  #count = 0;
  readonly #pending = new Map<number, () => void>();

  constructor(startAt: number) {
    this.#now = startAt;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, _delayMs: number): TimerHandle {
    const timer = ++this.#count;
    this.#pending.set(timer, callback);
    return timer;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#pending.delete(handle as number);
  }

  /** Sets the time; a recording's times never go back, but a broken one is not allowed to move time backwards either. */
  set(time: number): void {
    this.#now = Math.max(this.#now, time);
  }

  /** Fires timer `timer`; false when it is not pending (never set, cleared or fired already). */
  fire(timer: number): boolean {
    const callback = this.#pending.get(timer);
    if (!callback) return false;
    this.#pending.delete(timer);
    callback();
    return true;
  }
}
