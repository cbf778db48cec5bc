import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import moleculer from 'moleculer';
import { startHost } from 'safekeep';
import { median } from './median.ts';

/**
 * In-process requests, run by bench/wire-speed.bench.ts in a child of its own
 * (prints one JSON line): `host.request('backup.revert', {})` on a host from
 * the public entry ('safekeep', the built `dist`) against Moleculer's local
 * `broker.call` of an action that returns a fixed path, the in-process
 * request/reply a Node service framework offers. Two calling patterns, each
 * the same for both, in alternating rounds:
 * - sequential: `await` one call, then the next, as an app embedding the host
 *   writes it (`await host.request(…)`); nothing can be shared between calls,
 *   so this is each call's whole cost, and the bar is on it;
 * - batches: BATCH calls started together and awaited with `Promise.all`, as
 *   a busy server issues them; informational.
 */
const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, 'round-ms': { type: 'string', default: '300' } } });
const ROUNDS = Number(args.rounds);
const ROUND_MS = Number(args['round-ms']);
const BATCH = 64;
/** Calls between two looks at the clock. */
const CALLS_PER_CHECK = 1_024;

type Call = () => Promise<unknown>;

async function sequentialOpsPerSecond(call: Call): Promise<number> {
  let calls = 0;
  const started = performance.now();
  const deadline = started + ROUND_MS;
  while (performance.now() < deadline) {
    for (let i = 0; i < CALLS_PER_CHECK; i++) await call();
    calls += CALLS_PER_CHECK;
  }
  return calls / ((performance.now() - started) / 1_000);
}

async function batchedOpsPerSecond(call: Call): Promise<number> {
  let calls = 0;
  const started = performance.now();
  const deadline = started + ROUND_MS;
  const batch = () => Promise.all(Array.from({ length: BATCH }, call));
  while (performance.now() < deadline) {
    for (let i = 0; i < CALLS_PER_CHECK / BATCH; i++) await batch();
    calls += CALLS_PER_CHECK;
  }
  return calls / ((performance.now() - started) / 1_000);
}

const root = await mkdtemp(path.join(tmpdir(), 'safekeep-bench-in-process-'));
const sourcePath = path.join(root, 'notes.json');
await writeFile(sourcePath, '{"bench": true}');
const host = await startHost({ dataDir: path.join(root, 'safekeep-data'), jobs: [{ sourcePath, intervalMs: 60 * 60_000 }], socket: false });
const broker = new moleculer.ServiceBroker({ logger: false, metrics: false, tracing: false });
try {
  const { version } = await host.request('backup.run', {});
  const fixedPath = version.path;
  broker.createService({ name: 'backup', actions: { revert: () => fixedPath } });
  await broker.start();

  const safekeepCall: Call = () => host.request('backup.revert', {});
  const moleculerCall: Call = () => broker.call('backup.revert', {});
  const [ours, theirs] = await Promise.all([host.request('backup.revert', {}), broker.call('backup.revert', {})]);
  if (ours.version?.path !== fixedPath || theirs !== fixedPath) throw new Error('the two calls do not answer the same path');

  const measured = { safekeepSequential: [] as number[], moleculerSequential: [] as number[], safekeepBatched: [] as number[], moleculerBatched: [] as number[] };
  // Round 0 warms both up (JIT, first-call paths) and is not kept; the order alternates so neither always runs on the other's garbage.
  for (let round = 0; round <= ROUNDS; round++) {
    const pairs: [keyof typeof measured, () => Promise<number>][] = [
      ['safekeepSequential', () => sequentialOpsPerSecond(safekeepCall)],
      ['moleculerSequential', () => sequentialOpsPerSecond(moleculerCall)],
      ['safekeepBatched', () => batchedOpsPerSecond(safekeepCall)],
      ['moleculerBatched', () => batchedOpsPerSecond(moleculerCall)],
    ];
    if (round % 2 === 1) pairs.reverse();
    for (const [name, run] of pairs) {
      const opsPerSecond = await run();
      if (round > 0) measured[name].push(opsPerSecond);
    }
  }
  const moleculerVersion = (moleculer.ServiceBroker as unknown as { MOLECULER_VERSION: string }).MOLECULER_VERSION;
  console.log(
    JSON.stringify({
      moleculerVersion,
      batch: BATCH,
      safekeepSequential: median(measured.safekeepSequential),
      moleculerSequential: median(measured.moleculerSequential),
      safekeepBatched: median(measured.safekeepBatched),
      moleculerBatched: median(measured.moleculerBatched),
    }),
  );
} finally {
  await broker.stop();
  await host.stop();
  await rm(root, { recursive: true, force: true });
}
