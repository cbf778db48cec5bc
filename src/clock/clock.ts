/**
 * The one source of time for the whole host. Everything that reads the time or
 * waits (backup schedules, request timeouts, idle connections) goes through a
 * Clock, so tests and the replay harness can run on a virtual one.
 *
 * The shape is a superset of XState's `Clock`, so the same object is handed to
 * `createActor(machine, { clock })`.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** Opaque timer handle; only the clock that made it understands it. */
export type TimerHandle = unknown;

// Node fires timers longer than this at once (with a warning), so longer waits are chained.
const LONGEST_NODE_TIMER_MS = 2 ** 31 - 1;

interface SystemTimer {
  timer: NodeJS.Timeout;
}

/**
 * The real clock. Its timers do not keep the process alive on their own, and
 * waits longer than Node's 24.8-day timer limit are chained.
 *
 * @example
 * const host = await startHost({ clock: systemClock });
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(callback, delayMs) {
    const handle = {} as SystemTimer;
    const arm = (remainingMs: number): void => {
      const step = Math.min(Math.max(0, remainingMs), LONGEST_NODE_TIMER_MS);
      handle.timer = setTimeout(() => (remainingMs > step ? arm(remainingMs - step) : callback()), step);
      // A pending backup schedule must not keep alive a process that was told to stop.
      handle.timer.unref();
    };
    arm(delayMs);
    return handle;
  },
  clearTimeout: (handle) => clearTimeout((handle as SystemTimer).timer),
};
