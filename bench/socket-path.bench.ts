import net from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SafekeepProcess } from '../test/helpers/safekeep-process.ts';
import { spawn } from 'node:child_process';

/**
 * Socket path: `revert` round trips per second through safekeep (socket
 * adapter → bus → request flow actor → backup service → bus → socket) against
 * a bare node:net server that answers each line with a fixed string. Both run
 * as child processes, driven alternately by the same client load, and the
 * ratio is printed. Target (held from a later issue): ratio ≥ 0.8.
 */
const CONNECTIONS = 32;
const ROUND_MS = 2_000;
const ROUNDS = 3;

async function roundTrips(port: number, durationMs: number): Promise<number> {
  const deadline = Date.now() + durationMs;
  let total = 0;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, () =>
      new Promise<void>((resolve, reject) => {
        const socket = net.connect({ port, host: '127.0.0.1', noDelay: true }, () => socket.write('revert\n'));
        socket.setEncoding('utf8');
        socket.on('data', (text: string) => {
          // One request in flight per connection: each reply (one line) triggers the next request.
          total += text.split('\n').length - 1;
          if (Date.now() < deadline) socket.write('revert\n');
          else socket.end();
        });
        socket.on('close', () => resolve());
        socket.on('error', reject);
      }),
    ),
  );
  return total / (durationMs / 1_000);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function main(): Promise<void> {
  const root = await mkdtemp(path.join(tmpdir(), 'safekeep-bench-'));
  await writeFile(path.join(root, 'notes.json'), '{"bench": true}');
  const safekeep = new SafekeepProcess(['--source', 'notes.json', '--interval', '1h', '--port', '0'], root);
  const baseline = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), fileURLToPath(new URL('./bare-net-server.ts', import.meta.url))], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const baselinePort = await new Promise<number>((resolve) =>
      baseline.stdout.setEncoding('utf8').on('data', (text: string) => {
        const match = /:(\d+)/.exec(text);
        if (match) resolve(Number(match[1]));
      }),
    );
    const safekeepPort = await safekeep.port();
    await safekeep.waitFor('stderr', /done/);

    await roundTrips(baselinePort, 500); // warm-up
    await roundTrips(safekeepPort, 500);
    const bare: number[] = [];
    const ours: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      bare.push(await roundTrips(baselinePort, ROUND_MS));
      ours.push(await roundTrips(safekeepPort, ROUND_MS));
    }
    const ratio = median(ours) / median(bare);
    console.log(`socket path, ${CONNECTIONS} connections, 'revert' round trips/s (median of ${ROUNDS} × ${ROUND_MS} ms)`);
    console.log(`  bare node:net baseline  ${Math.round(median(bare))}`);
    console.log(`  safekeep                ${Math.round(median(ours))}`);
    console.log(`  ratio                   ${ratio.toFixed(2)} (target ≥ 0.80)`);
  } finally {
    baseline.kill();
    await safekeep.stop();
    await rm(root, { recursive: true, force: true });
  }
}

await main();
