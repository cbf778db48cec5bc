import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { PassThrough } from 'node:stream';
import { ConsoleReporter } from '../../adapters/console/console-reporter.ts';
import { type LowdbStoreOptions } from '../../adapters/store/lowdb-store.ts';
import { Checkpointer, type CheckpointStep } from '../../adapters/store/checkpointer.ts';
import { writesJson } from '../../adapters/store/log-record.ts';
import { WriteAheadLog } from '../../adapters/store/write-ahead-log.ts';
import { VirtualClock } from '../../src/clock/virtual-clock.ts';
import type { StoreCheckpointFailed } from '../../src/store/messages.ts';
import { openStore } from '../helpers/open-store.ts';
import { tempDir } from '../helpers/temp-dir.ts';

type Options = Omit<LowdbStoreOptions, 'dataDir' | 'ids'>;

const open = (dataDir: string, options: Options = {}) => openStore(dataDir, { shardsPerCollection: 1, ...options });

async function turns(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await nextTurn();
}

/** Watches the checkpoints through the step hook: how many started, how many ran at once, what ran after stop. */
function checkpointWatch(rollLimit: number) {
  const watch = { rolls: 0, active: 0, mostAtOnce: 0, stopped: false, afterStop: [] as CheckpointStep[] };
  const afterCheckpointStep = async (step: CheckpointStep): Promise<void> => {
    if (watch.stopped) watch.afterStop.push(step);
    if (step === 'rolled') {
      watch.mostAtOnce = Math.max(watch.mostAtOnce, ++watch.active);
      // Bounds a runaway (the bug this guards against) so the test ends and reports it.
      if (++watch.rolls > rollLimit) {
        watch.active--;
        throw new Error('too many checkpoints');
      }
      await turns(20);
    }
    if (step === 'segments-deleted') watch.active--;
  };
  return { watch, afterCheckpointStep };
}

/** A store whose only shard is damaged behind its back after start: every checkpoint has to carry a stuck write forward. */
async function storeWithDamagedShard(options: Options) {
  const dataDir = await tempDir('checkpoint-runner');
  const first = await open(dataDir);
  await first.client.put('things', 'old', 1);
  await first.close();
  const second = await open(dataDir, options);
  await writeFile(path.join(dataDir, 'store', 'things', 'shard-000.json'), '{"format":"safekeep.shard","documents":');
  return second;
}

describe('the checkpoint runner', () => {
  it('does not start checkpoint after checkpoint for a carried-forward record as large as the threshold', async () => {
    const { watch, afterCheckpointStep } = checkpointWatch(10);
    const { store, client, close } = await storeWithDamagedShard({ checkpointLogBytes: 300, afterCheckpointStep, checkpointOnStop: false });
    await client.put('things', 'new', 'x'.repeat(400));
    while (store.checkpoints < 1 && watch.rolls <= 10) await nextTurn();
    await turns(200);
    await close();
    assert.equal(watch.rolls, 1, `${watch.rolls} checkpoints for one write`);
  });

  it('never runs two checkpoints at once: a write made durable during checkpointNow() waits for it, and idle() waits for both', async () => {
    const logDir = await tempDir('checkpoint-runner');
    let checkpointer: Checkpointer | null = null;
    // As the store does with a threshold of 1 byte: every flush asks for a checkpoint.
    const log = await WriteAheadLog.open({ logDir, segments: [], lastSegmentBytes: 0, nextSeq: 1, onDurable: () => checkpointer?.request() });
    let rolls = 0;
    let active = 0;
    let mostAtOnce = 0;
    let idleReturned = false;
    const afterIdle: CheckpointStep[] = [];
    checkpointer = new Checkpointer({
      log,
      collections: () => [],
      storeDir: logDir,
      clock: new VirtualClock(),
      onFailed: (error) => assert.fail(String(error)),
      afterStep: async (step) => {
        if (idleReturned) afterIdle.push(step);
        if (step === 'rolled') {
          mostAtOnce = Math.max(mostAtOnce, ++active);
          // A write that becomes durable while the stop's checkpoint runs.
          if (++rolls === 1) await log.append(writesJson([{ op: 'put', collection: 'things', key: 'k', value: 1 }]));
          await turns(20);
        }
        if (step === 'segments-deleted') active--;
      },
    });
    await checkpointer.checkpointNow();
    await checkpointer.idle();
    idleReturned = true;
    await turns(100);
    await log.close();
    assert.equal(mostAtOnce, 1, 'two checkpoints ran at once');
    assert.equal(rolls, 2, 'the write made during the checkpoint gets one of its own, after it');
    assert.deepEqual(afterIdle, [], 'a checkpoint went on after idle() returned');
  });

  it('starts no checkpoint once closed, and a stopped store deletes no segment after stop() returned', async () => {
    const { watch, afterCheckpointStep } = checkpointWatch(10);
    const { client, close } = await storeWithDamagedShard({ checkpointLogBytes: 1, afterCheckpointStep });
    await client.put('things', 'new', 2);
    await close();
    watch.stopped = true;
    await turns(200);
    assert.equal(watch.mostAtOnce, 1, 'two checkpoints ran at once');
    assert.deepEqual(watch.afterStop, [], 'a checkpoint went on after stop() returned');
  });

  it('gets its roll in between flushes while writers keep the log busy without a pause', async () => {
    const dataDir = await tempDir('checkpoint-runner');
    const { store, client, close } = await open(dataDir, { checkpointLogBytes: 4096, checkpointOnStop: false });
    // A write every turn of the event loop, not waiting for the last: one always arrives during each fdatasync.
    const writes: Promise<void>[] = [];
    for (let i = 0; store.checkpoints < 1 && store.logFlushes < 200; i++) {
      writes.push(client.put('things', `k${i % 64}`, { i }));
      await nextTurn();
    }
    const { logFlushes: flushes, checkpoints } = store;
    await Promise.all(writes);
    await close();
    // 4 KiB of log is a few flushes' worth: one checkpoint must have finished while the writes went on.
    assert.ok(checkpoints >= 1, `no checkpoint finished in ${flushes} flushes of sustained writes`);
  });

  it('says so on the bus when a checkpoint fails, and tries again on a doubling backoff until one succeeds', async () => {
    const dataDir = await tempDir('checkpoint-runner');
    const clock = new VirtualClock();
    const { bus, store, client, close } = await open(dataDir, { checkpointLogBytes: 300, clock, checkpointOnStop: false });
    const failures: StoreCheckpointFailed[] = [];
    bus.on$('store.checkpoint.failed').subscribe((failure) => failures.push(failure));
    const out = new PassThrough({ encoding: 'utf8' });
    let logged = '';
    out.on('data', (chunk: string) => (logged += chunk));
    const reporter = new ConsoleReporter({ out, clock, verbose: false });
    await reporter.start(bus);
    await client.put('things', 'small', 1);
    // A real failure of the filesystem: the key index cannot be renamed over a folder that is in its way.
    const inTheWay = path.join(dataDir, 'store', 'things', 'index.json');
    await mkdir(path.join(inTheWay, 'blocker'), { recursive: true });
    await client.put('things', 'large', 'x'.repeat(400));
    while (failures.length < 1) await nextTurn();
    assert.equal(store.checkpoints, 0);
    assert.match(failures[0]?.message ?? '', /^a checkpoint failed \(E[A-Z]+\); trying again in 1 s$/);
    assert.match(failures[0]?.detail ?? '', /index\.json/);
    // One line in the service log, with the detail the bus event keeps from clients.
    const lines = logged.split('\n').filter(Boolean);
    assert.equal(lines.length, 1);
    assert.match(lines[0] ?? '', /store: CHECKPOINT FAILED, the log keeps every write and grows until one succeeds: a checkpoint failed \(E[A-Z]+\); trying again in 1 s \[.*index\.json.*\]$/);

    clock.advance(1_000);
    while (failures.length < 2) await nextTurn();
    assert.match(failures[1]?.message ?? '', /trying again in 2 s$/);

    await rm(inTheWay, { recursive: true });
    clock.advance(1_999);
    await turns(50);
    assert.equal(store.checkpoints, 0, 'retried before its time');
    clock.advance(1);
    while (store.checkpoints < 1) await nextTurn();
    assert.equal(failures.length, 2);
    await reporter.stop();
    await close();
  });
});
