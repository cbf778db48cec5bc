import { fromCallback } from 'xstate';
import type { Clock } from '../clock/clock.ts';

/** How often request flows learn the time; a request times out at most this long after its limit. */
export const TICK_INTERVAL_MS = 1_000;

/**
 * A callback actor that sends `{ type: 'TICK', now }` to its parent every
 * `intervalMs` on the given clock. One per connection replaces a timer per
 * request, which costs more than the rest of a request's path.
 */
export function ticker(clock: Clock, intervalMs = TICK_INTERVAL_MS) {
  return fromCallback(({ sendBack }) => {
    let handle = clock.setTimeout(function tick() {
      sendBack({ type: 'TICK', now: clock.now() });
      handle = clock.setTimeout(tick, intervalMs);
    }, intervalMs);
    return () => clock.clearTimeout(handle);
  });
}
