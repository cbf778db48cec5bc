import { open, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { LowdbStore, type LowdbStoreOptions } from '../adapters/store/lowdb-store.ts';
import { Bus } from '../src/bus/bus.ts';
import { sequentialIds } from '../src/ids/ids.ts';
import { StoreClient } from '../src/store/store-client.ts';

/**
 * The store's write-ahead log at 100,000 keys, each figure beside its bar or
 * baseline, measured in this run on this disk:
 * - 64 concurrent writers: fdatasyncs per write, and writes/s against 64
 *   records appended with one write + one fdatasync, over and over;
 * - the longest event-loop stall (monitorEventLoopDelay) while 100,000 keys
 *   are written, and while a checkpoint folds them into the shard files with
 *   writers going on (bar: 50 ms);
 * - start-up with 100,000 keys against an empty store (bar: 2×).
 *
 *   node --import tsx bench/store-checkpoint.bench.ts [KEYS]
 */
const KEYS = Number(process.argv[2] ?? 100_000);
const BATCH = 500;
const WRITERS = 64;
// About a user with a few sealed entries.
const DOCUMENT = { entries: Array.from({ length: 4 }, (_, i) => ({ id: `e${i}`, sealed: { iv: 'x'.repeat(16), data: 'y'.repeat(160) } })) };

async function openStore(dataDir: string, options: Partial<LowdbStoreOptions> = {}) {
  const bus = new Bus();
  const store = new LowdbStore({ dataDir, ids: sequentialIds(), ...options });
  const started = performance.now();
  await store.start(bus);
  const startMs = performance.now() - started;
  const client = new StoreClient(bus, sequentialIds());
  return { store, client, startMs, close: async () => (client.dispose(), await store.stop()) };
}

async function maxStallDuring(work: () => Promise<void>): Promise<number> {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  await work();
  histogram.disable();
  return histogram.max / 1e6;
}

async function baselineGroupedAppends(dir: string, rounds: number, recordBytes: number): Promise<number> {
  const handle = await open(path.join(dir, 'baseline.log'), 'a', 0o600);
  const group = Buffer.alloc(WRITERS * recordBytes, 0x61);
  const started = performance.now();
  for (let i = 0; i < rounds; i++) {
    await handle.write(group);
    await handle.datasync();
  }
  const seconds = (performance.now() - started) / 1000;
  await handle.close();
  return (rounds * WRITERS) / seconds;
}

const root = await mkdtemp(path.join(tmpdir(), 'safekeep-bench-wal-'));
try {
  // 1. Group commit under 64 writers.
  const concurrent = await openStore(path.join(root, 'concurrent'));
  const rounds = 50;
  const flushesBefore = concurrent.store.logFlushes;
  const started = performance.now();
  let n = 0;
  await Promise.all(
    Array.from({ length: WRITERS }, async (_, writer) => {
      for (let i = 0; i < rounds; i++) await concurrent.client.put('book.users', `w${writer}-${n++ % 1000}`, DOCUMENT);
    }),
  );
  const writesPerSecond = (WRITERS * rounds) / ((performance.now() - started) / 1000);
  const flushesPerWrite = (concurrent.store.logFlushes - flushesBefore) / (WRITERS * rounds);
  await concurrent.close();
  const baseline = await baselineGroupedAppends(root, rounds, JSON.stringify(DOCUMENT).length + 80);

  // 2. Fill KEYS keys (batches of BATCH) with checkpoints at the default log size, as in service; then writers
  //    updating random keys while checkpoints (every 1 MiB of log) fold the changes into the full shards.
  const dataDir = path.join(root, 'big');
  const filling = await openStore(dataDir, { checkpointOnStop: false });
  const fillStall = await maxStallDuring(async () => {
    for (let first = 0; first < KEYS; first += BATCH) {
      await filling.client.batch(Array.from({ length: Math.min(BATCH, KEYS - first) }, (_, i) => ({ op: 'put' as const, collection: 'book.users', key: `user${first + i}`, value: DOCUMENT })));
    }
  });
  const fillCheckpoints = filling.store.checkpoints;
  await filling.close();

  const checkpointing = await openStore(dataDir, { checkpointLogBytes: 1024 * 1024 });
  const replayStartMs = checkpointing.startMs;
  // The start's own checkpoint (of what the fill left in the log) runs first.
  const checkpointStall = await maxStallDuring(async () => {
    let writes = 0;
    while (checkpointing.store.checkpoints < 4) {
      await Promise.all(Array.from({ length: 8 }, (_, i) => checkpointing.client.put('book.users', `user${Math.floor(Math.random() * KEYS)}`, { ...DOCUMENT, changed: writes * 8 + i })));
      writes++;
    }
  });
  await checkpointing.close();

  // 3. Start-up: KEYS keys (index written, log empty) against an empty store; median of 5.
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
  const startups = async (dir: string) => {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const store = await openStore(dir);
      times.push(store.startMs);
      if (i === 0 && dir === dataDir && (await store.client.count('book.users')) !== KEYS) throw new Error('keys lost');
      await store.close();
    }
    return median(times);
  };
  const emptyDir = path.join(root, 'empty');
  await (await openStore(emptyDir)).close();
  const emptyStart = await startups(emptyDir);
  const fullStart = await startups(dataDir);
  const counting = await openStore(dataDir);
  const countStarted = performance.now();
  await counting.client.count('book.users');
  const firstCountMs = performance.now() - countStarted;
  await counting.close();

  const row = (what: string, figure: string, against: string, ratio: string) => console.log(`  ${what.padEnd(52)} ${figure.padStart(12)}  ${against.padStart(18)}  ${ratio.padStart(7)}`);
  console.log(`store write-ahead log, ${KEYS.toLocaleString('en')} keys`);
  row('', 'safekeep', 'baseline / bar', 'ratio');
  row(`${WRITERS} concurrent writers: writes/s`, writesPerSecond.toFixed(0), `${baseline.toFixed(0)} grouped`, `${(writesPerSecond / baseline).toFixed(2)}×`);
  row(`${WRITERS} concurrent writers: fdatasyncs per write`, flushesPerWrite.toFixed(3), '1 unbatched', `${flushesPerWrite.toFixed(3)}×`);
  row(`max event-loop stall, writing ${KEYS} keys (${fillCheckpoints} checkpoints done)`, `${fillStall.toFixed(1)} ms`, 'bar 50 ms', `${(fillStall / 50).toFixed(2)}×`);
  row(`max event-loop stall, writers + 4 checkpoints of ${KEYS} keys`, `${checkpointStall.toFixed(1)} ms`, 'bar 50 ms', `${(checkpointStall / 50).toFixed(2)}×`);
  row(`start-up, ${KEYS} keys (median of 5)`, `${fullStart.toFixed(1)} ms`, `${emptyStart.toFixed(1)} ms empty`, `${(fullStart / emptyStart).toFixed(2)}×`);
  row('start-up replaying what the fill left in the log', `${replayStartMs.toFixed(0)} ms`, '', '');
  row('first count after a start', `${firstCountMs.toFixed(2)} ms`, 'bar 1 ms', `${firstCountMs.toFixed(2)}×`);
} finally {
  await rm(root, { recursive: true, force: true });
}
