import type { ListeningProcess } from './listening-process.ts';
import { median } from './median.ts';

/**
 * Milliseconds from spawn to the line saying it listens, median of `runs`
 * starts of each, alternating which goes first; every process is stopped
 * (and has exited) before the next starts.
 */
export async function startupRounds(starts: readonly (() => ListeningProcess)[], runs: number): Promise<number[]> {
  const times: number[][] = starts.map(() => []);
  for (let run = 0; run < runs; run++) {
    const order = starts.map((_, index) => index);
    if (run % 2 === 1) order.reverse();
    for (const index of order) {
      const server = (starts[index] as () => ListeningProcess)();
      try {
        await server.listening();
        (times[index] as number[]).push(server.startupMs);
      } finally {
        await server.stop();
      }
    }
  }
  return times.map(median);
}
