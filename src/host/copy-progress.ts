import type { Bus } from '../bus/bus.ts';
import type { Clock } from '../clock/clock.ts';

/** A copy that ends sooner than this publishes no progress at all: a line that flashes by tells nobody anything. */
export const FIRST_PROGRESS_AFTER_MS = 1_000;
/** At most this often after the first. */
export const PROGRESS_EVERY_MS = 500;

export interface CopyProgressTarget {
  readonly bus: Bus;
  /** The real clock, not a recording's: a recorded host's clock stands still between inputs, and a copy is not one. */
  readonly clock: Pick<Clock, 'now'>;
  readonly jobId: string;
  readonly runId: string;
}

/**
 * The `onProgress` listener for one copy: it is told after every chunk and
 * publishes `backup.progress` only when the copy has run for a second, then
 * at most twice a second, so a copy of any size costs the bus a few events a
 * second at most.
 *
 * @example
 * const onProgress = copyProgressPublisher({ bus, clock, jobId: 'notes.db', runId: 'notes.db#3' });
 * await service.run('notes.db', signal, onProgress);
 */
export function copyProgressPublisher(target: CopyProgressTarget): (bytesDone: number, totalBytes: number) => void {
  const { bus, clock, jobId, runId } = target;
  const startedAt = clock.now();
  let nextAt = startedAt + FIRST_PROGRESS_AFTER_MS;
  return (bytesDone, totalBytes) => {
    const at = clock.now();
    if (at < nextAt) return;
    nextAt = at + PROGRESS_EVERY_MS;
    const bytesPerSecond = Math.round((bytesDone * 1000) / Math.max(1, at - startedAt));
    void bus.emit('backup.progress', { jobId, runId, bytesDone, totalBytes, bytesPerSecond, at });
  };
}
