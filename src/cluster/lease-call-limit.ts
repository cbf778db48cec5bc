import type { Clock } from '../clock/clock.ts';
import { StoreUnavailableError } from '../store/errors.ts';

/**
 * A lease call that must answer within `limitMs` on `clock`, or count as
 * failed (whether it took effect is unknown, as with any lost answer): a call
 * that never answers (a KV consumer stalled on a dead server) must not hold
 * the lease loop, a job's queue or a fence forever. The call itself is left
 * to finish or not; the leases adapter recognises a hold of its own that
 * landed late.
 */
export function withinLeaseLimit<T>(clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>, limitMs: number, what: string, call: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = clock.setTimeout(() => reject(new StoreUnavailableError(`The leases' store did not answer within ${limitMs} ms when asked to ${what}`)), limitMs);
    const settle = <V>(finish: (value: V) => void) => (value: V) => {
      clock.clearTimeout(timer);
      finish(value);
    };
    let answer: Promise<T>;
    try {
      answer = call();
    } catch (error) {
      settle(reject)(error);
      return;
    }
    answer.then(settle(resolve), settle(reject));
  });
}
