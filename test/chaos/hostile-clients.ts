import net from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import type { Host } from '../../src/host/host.ts';
import { startHost } from '../../src/host/start-host.ts';
import type { SocketOptions } from '../../src/host/host-options.ts';
import { wireBytes } from '../helpers/wire-arbitraries.ts';

/** One experiment's outcome, as the chaos runner tabulates it. */
export interface HostileClientExperiment {
  readonly experiment: string;
  readonly faultsInjected: number;
  readonly requestsSent: number;
  /** Uncaught errors in the process, or a host that stopped answering. */
  readonly crashes: number;
  /** Whether an ordinary `revert` client was answered at the end (and during the fault, where that applies). */
  readonly ordinaryClientServed: boolean;
  readonly notes: string;
}

/**
 * Hostile-client experiments against a real host on a real socket and the
 * real clock: deep nesting, over-long lines, a crowd of slow connections, a
 * client that never reads, a pipelined flood, and random bytes. `scale` 1 is a
 * quick run (seconds); the chaos suite may raise it (the fuzz experiment sends
 * 200 × scale random streams; the slow crowd is 1,100 connections at any scale).
 *
 * @example
 * const rows = await runHostileClientExperiments({ scale: 10 });
 * console.table(rows);
 */
export async function runHostileClientExperiments({ scale = 1 }: { scale?: number } = {}): Promise<HostileClientExperiment[]> {
  const rows: HostileClientExperiment[] = [];
  for (const [name, run] of EXPERIMENTS) rows.push(await withHost(name, run, scale));
  return rows;
}

type Experiment = (port: number, scale: number) => Promise<{ faultsInjected: number; requestsSent: number; notes: string; servedDuring?: boolean }>;

const EXPERIMENTS: [string, Experiment, SocketOptions?][] = [
  [
    'deep nesting (4000 arrays, 3000 objects, 100 000 open brackets)',
    async (port) => {
      const shapes = [`{"message":${'['.repeat(4000)}${']'.repeat(4000)}}`, `${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}`, `{"message":${'['.repeat(100_000)}`];
      for (const shape of shapes) await sendAndClose(port, shape, 2_000);
      return { faultsInjected: shapes.length, requestsSent: shapes.length, notes: 'each answered REQUEST_TOO_DEEP' };
    },
  ],
  [
    '10 MiB lines, text and JSON',
    async (port) => {
      await sendAndClose(port, Buffer.concat([Buffer.alloc(10 * 1024 * 1024, 'a'), Buffer.from('\nrevert\n')]), 5_000);
      await sendAndClose(port, Buffer.concat([Buffer.from('{"m":"'), Buffer.alloc(10 * 1024 * 1024, 'a'), Buffer.from('"}')]), 5_000);
      return { faultsInjected: 2, requestsSent: 3, notes: 'each answered once (Request too long.)' };
    },
  ],
  [
    '1,100 slow connections (a request begun, never finished)',
    async (port) => {
      const crowd: net.Socket[] = [];
      for (let i = 0; i < 1_100; i++) {
        const socket = net.connect({ port, host: '127.0.0.1' }, () => socket.write('{"message": "num'));
        socket.on('error', () => undefined);
        crowd.push(socket);
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
      const servedDuring = await ordinaryClientServed(port);
      for (const socket of crowd) socket.destroy();
      return { faultsInjected: 1_100, requestsSent: 1_100, servedDuring, notes: 'the cap (1024) makes room by closing the earliest slow ones' };
    },
  ],
  [
    'a client that never reads its replies',
    async (port, scale) => {
      const hog = net.connect({ port, host: '127.0.0.1' });
      hog.on('error', () => undefined);
      hog.pause();
      const requests = 100_000 * scale;
      hog.write('revert\n'.repeat(requests));
      await new Promise((resolve) => setTimeout(resolve, 500));
      const servedDuring = await ordinaryClientServed(port);
      hog.destroy();
      return { faultsInjected: 1, requestsSent: requests, servedDuring, notes: 'its requests are held while its replies are unread' };
    },
  ],
  [
    'pipelined flood from 20 connections',
    async (port, scale) => {
      const each = 5_000 * scale;
      const flood = Array.from({ length: 20 }, () => {
        const socket = net.connect({ port, host: '127.0.0.1' }, () => socket.write('revert\n'.repeat(each)));
        socket.on('error', () => undefined);
        socket.resume();
        return socket;
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      const servedDuring = await ordinaryClientServed(port);
      for (const socket of flood) socket.destroy();
      return { faultsInjected: 20, requestsSent: 20 * each, servedDuring, notes: 'at most 32 of a connection’s requests on the bus at once' };
    },
  ],
  [
    'random bytes at random read boundaries',
    async (port, scale) => {
      const streams = fc.sample(fc.array(wireBytes(120), { minLength: 1, maxLength: 8 }), 200 * scale);
      let bytes = 0;
      for (const reads of streams) {
        await sendAndClose(port, reads, 2_000);
        bytes += reads.reduce((sum, read) => sum + read.length, 0);
      }
      return { faultsInjected: streams.length, requestsSent: streams.length, notes: `${bytes} random bytes in ${streams.length} connections` };
    },
  ],
];

async function withHost(name: string, run: Experiment, scale: number): Promise<HostileClientExperiment> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'safekeep-chaos-'));
  let uncaught = 0;
  const count = () => void uncaught++;
  process.on('uncaughtException', count);
  let host: Host | null = null;
  try {
    host = await startHost({ dataDir, socket: { host: '127.0.0.1', port: 0 } });
    const port = host.address!.port;
    const outcome = await run(port, scale);
    const servedAfter = await ordinaryClientServed(port);
    return {
      experiment: name,
      faultsInjected: outcome.faultsInjected,
      requestsSent: outcome.requestsSent,
      crashes: uncaught + (servedAfter ? 0 : 1),
      ordinaryClientServed: servedAfter && outcome.servedDuring !== false,
      notes: outcome.notes,
    };
  } catch (error) {
    return { experiment: name, faultsInjected: 0, requestsSent: 0, crashes: uncaught + 1, ordinaryClientServed: false, notes: String(error) };
  } finally {
    await host?.stop();
    process.off('uncaughtException', count);
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Sends `data` (one buffer, or several reads), half-closes, and waits for the server to close (or `limitMs`). */
function sendAndClose(port: number, data: string | Buffer | readonly Buffer[], limitMs: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' }, () => {
      for (const piece of typeof data === 'string' || Buffer.isBuffer(data) ? [data] : data) socket.write(piece);
      socket.end();
    });
    const timer = setTimeout(() => socket.destroy(), limitMs);
    socket.on('error', () => undefined);
    socket.resume();
    socket.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Whether a `revert` on a fresh connection is answered within 5 s. */
function ordinaryClientServed(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' }, () => socket.write('revert\n'));
    const timer = setTimeout(() => finish(false), 5_000);
    const finish = (served: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(served);
    };
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => text.includes('\n') && finish(true));
    socket.on('error', () => finish(false));
    socket.on('close', () => finish(false));
  });
}
