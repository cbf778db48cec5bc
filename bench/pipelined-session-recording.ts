import net from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTestHost, writeSource } from '../test/helpers/host-harness.ts';

/** What a few clients send per round, each in one write: the text dialect's revert and an unknown word, and JSON requests of both styles. */
const TEXT_ROUND = 'revert\nrevert\nnonsense\nrevert\nREVERT\nrevert\nrevert notes.txt\nrevert\n';
const JSON_ROUND = '{"type": "users.count"}\n{"message": "number_of_users"}\n{"type": "users.count"}\n{"type": "nope"}\n'.repeat(2);
const PER_ROUND = 8;

/**
 * A real recording of a host serving pipelined clients over its socket: a
 * few text and JSON clients, each sending 8 requests in one write and waiting
 * for the 8 replies, `rounds` times. It is what a busy recorded run looks
 * like (requests arriving together, replies written between the host's later
 * steps), made fresh by each bench run so it follows the host's current
 * event shapes. Returns the recording's text.
 */
export async function recordPipelinedSession(options: { rounds: number; textClients: number; jsonClients: number }): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), 'safekeep-replay-bench-'));
  try {
    const file = path.join(root, 'pipelined.ndjson');
    const source = await writeSource(root, 'notes.txt', 'bench\n');
    const { host, clock } = await startTestHost(path.join(root, 'data'), { socket: { port: 0 }, record: file, jobs: [{ sourcePath: source, intervalMs: 3_600_000 }] });
    clock.advance(0);
    await host.runBackup();
    const { port } = host.address as { port: number };
    const clients = [...Array.from({ length: options.textClients }, () => TEXT_ROUND), ...Array.from({ length: options.jsonClients }, () => JSON_ROUND)];
    await Promise.all(clients.map((round) => sendRounds(port, round, options.rounds)));
    await host.stop();
    return await readFile(file, 'utf8');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** One client: `rounds` times, `round` in one write, then its 8 reply lines. */
function sendRounds(port: number, round: string, rounds: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let left = rounds;
    let awaited = PER_ROUND;
    const socket = net.connect({ host: '127.0.0.1', port, noDelay: true }, () => socket.write(round));
    socket.on('data', (chunk: Buffer) => {
      for (const byte of chunk) if (byte === 0x0a) awaited--;
      if (awaited > 0) return;
      awaited = PER_ROUND;
      if (--left > 0) socket.write(round);
      else socket.end();
    });
    socket.on('close', () => resolve());
    socket.on('error', reject);
  });
}
