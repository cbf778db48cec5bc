import { readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { freePort } from '../helpers/free-port.ts';
import { spawnSafekeep } from '../helpers/safekeep-process.ts';
import type { ChaosRow } from './chaos-row.ts';
import { LineClient } from './line-client.ts';
import { scratchDir } from './scratch-dir.ts';

/** How long a stop may take: the documented shutdown grace (5 s) and a second for the process to exit. */
const STOP_BOUND_MS = 6_000;

/**
 * SIGTERM while ordinary clients keep the service busy (text `revert`s and
 * JSON `number_of_users`, several in flight per connection) and one client
 * floods requests without ever reading a reply. The service must exit 0 within
 * the bound, and every request it received from an ordinary client must have
 * been answered on the wire: the run is recorded, and the recording is the
 * witness of what was received and what was sent.
 */
export async function runSigtermUnderLoad(options: { clients?: number } = {}): Promise<ChaosRow> {
  const scratch = await scratchDir('sigterm');
  const port = await freePort();
  const recording = path.join(scratch.path, 'run.ndjson');
  const source = path.join(scratch.path, 'notes.txt');
  await writeFile(source, 'notes\n');
  const server = spawnSafekeep(['--source', source, '--port', String(port), '--data-dir', 'data', '--record', recording], scratch.path);
  await server.port();
  await server.waitFor('stderr', /\] done/);
  const failures: string[] = [];
  let requestsSent = 0;
  let stopping = false;

  // The client that never reads: it sends and sends, and its socket buffers fill.
  const hog = net.connect({ host: '127.0.0.1', port });
  hog.on('error', () => undefined);
  hog.pause();
  const flood = setInterval(() => hog.write('revert\n'.repeat(1_000)), 5);

  const ordinary = async (index: number): Promise<void> => {
    const client = await LineClient.connect(port);
    if (!client) return;
    const json = index % 2 === 1;
    while (!stopping || !client.closed) {
      requestsSent++;
      const reply = await client.request(json ? '{"message": "number_of_users"}' : 'revert\n', 10_000);
      if (reply === null) break;
    }
    client.close();
  };
  const clients = Array.from({ length: options.clients ?? 8 }, (_, index) => ordinary(index));
  await new Promise((resolve) => setTimeout(resolve, 1_000));

  const stopAsked = Date.now();
  stopping = true;
  const exit = await server.stop('SIGTERM');
  const stopMs = Date.now() - stopAsked;
  clearInterval(flood);
  hog.destroy();
  await Promise.all(clients);
  if (exit.code !== 0) failures.push(`exit ${JSON.stringify(exit)}: ${server.stderr.slice(-300)}`);
  if (stopMs > STOP_BOUND_MS) failures.push(`the stop took ${stopMs} ms (bound ${STOP_BOUND_MS} ms)`);

  // From the recording: each request an ordinary connection sent was answered with a delivered reply.
  const steps = (await readFile(recording, 'utf8'))
    .split('\n')
    .slice(1)
    .filter((line) => line.startsWith('{"seq"'))
    .map((line) => JSON.parse(line) as { name?: string; payload?: Record<string, unknown> });
  const hogConnection = steps.find((step) => step.name === 'connection.opened')?.payload?.['connectionId'];
  const received = new Map<string, string>();
  for (const step of steps) {
    if (step.name === 'requests.received' && step.payload?.['connectionId'] !== hogConnection) {
      for (const request of step.payload?.['requests'] as { requestId: string; connectionId: string }[]) received.set(request.requestId, request.connectionId);
    }
    if (step.name === 'reply.sent' && step.payload?.['delivered'] === true) received.delete(step.payload['requestId'] as string);
  }
  await scratch.dispose();
  return {
    experiment: `SIGTERM under load (${options.clients ?? 8} clients + 1 that never reads)`,
    faultsInjected: 1,
    requestsSent,
    ackedWritesLost: 0,
    partialRegistered: 0,
    crashes: exit.code === 0 ? 0 : 1,
    failures: [...failures, ...(received.size > 0 ? [`${received.size} received requests were never answered`] : [])],
    notes: `stopped in ${stopMs} ms`,
  };
}
