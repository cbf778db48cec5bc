import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { VirtualClock } from '../../src/clock/virtual-clock.ts';
import type { Host } from '../../src/host/host.ts';
import { startHost, type HostInternals } from '../../src/host/start-host.ts';
import type { HostOptions } from '../../src/host/host-options.ts';
import { sequentialIds } from '../../src/ids/ids.ts';
import { seededRandom } from '../../src/random/random.ts';
import type { BusEventName, BusEvents } from '../../src/bus/events.ts';

export const START = Date.parse('2026-11-24T09:00:00.000Z');

/** A host on a virtual clock with deterministic ids and no socket, unless asked for one; `internals` for stand-in file work. */
export async function startTestHost(dataDir: string, options: Partial<HostOptions> = {}, clock = new VirtualClock(START), internals: HostInternals = {}) {
  const host = await startHost({ dataDir, socket: false, clock, ids: sequentialIds(), random: seededRandom('test host'), retry: { baseMs: 1_000, maxMs: 60_000 }, ...options }, internals);
  return { host, clock };
}

/**
 * Collects every event of `name` from now on; `next()` waits for the next one
 * that has not been taken yet, so a test can step through a run in order.
 */
export function collect<K extends BusEventName>(host: Host, name: K) {
  const seen: BusEvents[K][] = [];
  let taken = 0;
  const waiting: (() => void)[] = [];
  const subscription = host.bus.on$(name).subscribe((payload) => {
    seen.push(payload);
    waiting.splice(0).forEach((wake) => wake());
  });
  return {
    seen,
    async next(): Promise<BusEvents[K]> {
      while (seen.length <= taken) await new Promise<void>((resolve) => waiting.push(resolve));
      return seen[taken++] as BusEvents[K];
    },
    stop: () => subscription.unsubscribe(),
  };
}

export async function writeSource(directory: string, name: string, content: string | Buffer): Promise<string> {
  const filePath = path.join(directory, name);
  await writeFile(filePath, content);
  return filePath;
}
