import net from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SafekeepProcess } from '../test/helpers/safekeep-process.ts';

/**
 * Flood fairness: 20 connections pipeline `revert` lines as fast as the
 * socket takes them (they read and count their replies, but never wait for
 * one before sending more), while one ordinary client sends `revert`, waits
 * for its answer, and sends the next. Prints how many probes were answered and
 * their latency. Target: p99 < 250 ms, none over 5 s.
 *
 * Part of `npm run bench` (5 s, probing from 0.3 s in); by hand:
 * `node --import tsx bench/flood-fairness.bench.ts [seconds] [warm-up seconds]`:
 * the probe starts once the flood has run for the warm-up (default 0.3 s), so a
 * longer warm-up leaves the flood's start-up burst out of the figures.
 */
const FLOOD_CONNECTIONS = 20;
const DURATION_MS = Number(process.argv[2] ?? 5) * 1_000;
/** What each flood connection writes at a time, whenever its socket has room. */
const FLOOD_BATCH = Buffer.from('revert\n'.repeat(8 * 1024));
const WARM_UP_MS = Number(process.argv[3] ?? 0.3) * 1_000;
const PROBE_GAP_MS = 10;
/** How long after the run a probe may still be waiting before it is given up (and counted). */
const GIVE_UP_MS = 10_000;
/** How long the host gets to stop after SIGTERM before it is killed. */
const STOP_LIMIT_MS = 30_000;

interface Flooder {
  replies: number;
  readonly done: Promise<void>;
  stop(): void;
}

function flood(port: number): Flooder {
  const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
  let stopped = false;
  const state: Flooder = {
    replies: 0,
    done: new Promise<void>((resolve) => socket.on('close', () => resolve())),
    stop: () => {
      stopped = true;
      socket.destroy();
    },
  };
  const pump = () => {
    while (!stopped && socket.write(FLOOD_BATCH));
  };
  socket.on('connect', pump);
  socket.on('drain', pump);
  socket.on('data', (chunk: Buffer) => {
    for (let at = chunk.indexOf(0x0a); at !== -1; at = chunk.indexOf(0x0a, at + 1)) state.replies++;
  });
  socket.on('error', () => undefined);
  return state;
}

interface ProbeResults {
  readonly latencies: number[];
  /** The probe still waiting for its answer when the run was called off. */
  unanswered: number;
}

/** Probes until `until`; a probe still unanswered `GIVE_UP_MS` after that is counted and abandoned. */
async function probe(port: number, until: number): Promise<ProbeResults> {
  const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.setEncoding('utf8');
  const results: ProbeResults = { latencies: [], unanswered: 0 };
  let buffered = '';
  let wake: (() => void) | null = null;
  socket.on('data', (text: string) => {
    buffered += text;
    wake?.();
  });
  socket.on('close', () => wake?.());
  const giveUp = until + GIVE_UP_MS;
  while (Date.now() < until) {
    const sentAt = performance.now();
    socket.write('revert\n');
    const answered = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), Math.max(0, giveUp - Date.now()));
      wake = () => {
        if (socket.destroyed || buffered.includes('\n')) {
          clearTimeout(timer);
          resolve(buffered.includes('\n'));
        }
      };
      wake();
    });
    wake = null;
    if (!answered) {
      results.unanswered++;
      break;
    }
    buffered = buffered.slice(buffered.indexOf('\n') + 1);
    results.latencies.push(performance.now() - sentAt);
    await new Promise((resolve) => setTimeout(resolve, PROBE_GAP_MS));
  }
  socket.destroy();
  return results;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function main(): Promise<void> {
  const root = await mkdtemp(path.join(tmpdir(), 'safekeep-flood-'));
  await writeFile(path.join(root, 'notes.json'), '{"bench": true}');
  const safekeep = new SafekeepProcess(['--source', 'notes.json', '--interval', '1h', '--port', '0'], root);
  try {
    const port = await safekeep.port();
    await safekeep.waitFor('stderr', /done/);
    const flooders = Array.from({ length: FLOOD_CONNECTIONS }, () => flood(port));
    // Let the flood build up before the first probe.
    await new Promise((resolve) => setTimeout(resolve, WARM_UP_MS));
    const { latencies, unanswered } = await probe(port, Date.now() + DURATION_MS);
    for (const flooder of flooders) flooder.stop();
    await Promise.all(flooders.map((flooder) => flooder.done));
    const sorted = [...latencies].sort((a, b) => a - b);
    const floodReplies = flooders.reduce((sum, flooder) => sum + flooder.replies, 0);
    console.log(`flood fairness, ${FLOOD_CONNECTIONS} pipelined flood connections, probed for ${DURATION_MS / 1_000} s from ${WARM_UP_MS / 1_000} s in by one client ('revert')`);
    console.log(`  flood replies           ${floodReplies}`);
    console.log(`  probes answered         ${sorted.length}`);
    console.log(`  latency p50             ${percentile(sorted, 50).toFixed(1)} ms`);
    console.log(`  latency p99             ${percentile(sorted, 99).toFixed(1)} ms (target < 250 ms)`);
    console.log(`  latency max             ${(sorted.at(-1) ?? 0).toFixed(1)} ms`);
    console.log(`  waited > 5 s            ${sorted.filter((ms) => ms > 5_000).length + unanswered}`);
    if (unanswered > 0) console.log(`  unanswered              ${unanswered} (still waiting ${GIVE_UP_MS / 1_000} s after the run; counted as over 5 s)`);
  } finally {
    const stopStarted = Date.now();
    const stopped = await Promise.race([safekeep.stop().then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), STOP_LIMIT_MS))]);
    if (!stopped) await safekeep.stop('SIGKILL');
    console.log(`  host stop               ${stopped ? `${((Date.now() - stopStarted) / 1_000).toFixed(1)} s` : `none within ${STOP_LIMIT_MS / 1_000} s: killed`}`);
    await rm(root, { recursive: true, force: true });
  }
}

await main();
