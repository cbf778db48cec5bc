import type { ListeningProcess } from './listening-process.ts';
import type { LoadGeneratorProcess } from './load-generator-process.ts';
import { rssKiBOf } from './proc-stats.ts';

/** Connections opened and closed before the first reading, so that what the first connection loads or compiles is not charged to the rest. */
const WARM_UP_CONNECTIONS = 20;

/** Full garbage collection in a server started with bench/gc-on-signal.ts preloaded; resolves once it reports it is done. */
async function collectGarbage(server: ListeningProcess): Promise<void> {
  const done = (server.stderr.match(/\[bench\] gc done/g) ?? []).length;
  process.kill(server.pid, 'SIGUSR2');
  await server.waitFor('stderr', new RegExp(`(?:\\[bench\\] gc done[\\s\\S]*){${done + 1}}`), 10_000);
}

/**
 * Resident memory each idle connection costs a server once it has answered
 * one request: VmRSS with `connections` held open (each after its reply)
 * less VmRSS before they were opened, both after a full collection, divided
 * by `connections`. In KiB.
 */
export async function rssPerIdleConnection(generator: LoadGeneratorProcess, server: ListeningProcess, request: string, connections: number): Promise<number> {
  await generator.hold({ port: server.port, request, connections: WARM_UP_CONNECTIONS });
  await generator.release();
  await collectGarbage(server);
  const before = await rssKiBOf(server.pid);
  await generator.hold({ port: server.port, request, connections });
  try {
    await collectGarbage(server);
    const after = await rssKiBOf(server.pid);
    return (after - before) / connections;
  } finally {
    await generator.release();
  }
}
