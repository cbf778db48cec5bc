import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { truncate } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from '../helpers/temp-dir.ts';
import { flipByte } from '../helpers/flip-byte.ts';
import { collect, startTestHost, writeSource } from '../helpers/host-harness.ts';
import { SCRUB_BYTES_PER_SECOND } from '../../src/host/verify-scheduler.ts';
import type { HostOptions } from '../../src/host/host-options.ts';

const HOUR = 60 * 60_000;
const DAY = 24 * HOUR;

/** Lets pending I/O callbacks run (no time passes on the virtual clock). */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let turn = 0; turn < 10_000; turn++) {
    if (condition()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.fail(`timed out waiting until ${what}`);
}

/** Two jobs, each backed up once: `big.bin` (`bigBytes`) and `small.txt`. */
async function twoVersions(options: Partial<HostOptions>, bigBytes = 1024) {
  const root = await tempDir('scrub');
  const big = await writeSource(root, 'big.bin', '');
  await truncate(big, bigBytes);
  const small = await writeSource(root, 'small.txt', 'small');
  const { host, clock } = await startTestHost(path.join(root, 'data'), {
    jobs: [
      { sourcePath: big, intervalMs: 7 * DAY },
      { sourcePath: small, intervalMs: 7 * DAY },
    ],
    ...options,
  });
  const completed = collect(host, 'backup.completed');
  clock.advance(0);
  await completed.next();
  await completed.next();
  return { host, clock, bigVersion: host.newestVersion('big.bin'), smallVersion: host.newestVersion('small.txt') };
}

describe('the scheduled scrub', () => {
  it('is on by default: a full pass a day finds a flipped byte and quarantines it', async () => {
    const { host, clock, smallVersion } = await twoVersions({});
    const damaged = collect(host, 'backup.version.damaged');
    const verified = collect(host, 'backup.verified');
    await flipByte(smallVersion?.path as string, 0, { keepTimes: true });
    clock.advance(DAY - 1);
    assert.equal(verified.seen.length, 0);
    clock.advance(1);
    // Step through the pass's short rests (a millisecond for these small files), never reaching the jobs' next runs.
    while (verified.seen.length === 0) {
      await until(() => verified.seen.length > 0 || (clock.nextDueAt() ?? Infinity) <= clock.now() + 1_000, 'the pass ends or rests');
      if (verified.seen.length === 0) clock.advanceTo(clock.nextDueAt() as number);
    }
    const pass = await verified.next();
    assert.equal(pass.trigger, 'schedule');
    assert.equal(pass.checked, 2);
    assert.deepEqual(pass.damagedVersionIds, [smallVersion?.id]);
    assert.equal((await damaged.next()).versionId, smallVersion?.id);
    assert.equal(host.newestVersion('small.txt'), null);
    await host.stop();
  });

  it('reads one version at a time at a bounded average rate, resting on the clock after each', async () => {
    const bigBytes = 2 * SCRUB_BYTES_PER_SECOND; // 2 s of rest after it
    const { host, clock, smallVersion } = await twoVersions({ verifyIntervalMs: HOUR }, bigBytes);
    const damaged = collect(host, 'backup.version.damaged');
    await flipByte(smallVersion?.path as string, 0, { keepTimes: true });
    clock.advance(HOUR);
    const restEnds = clock.now() + 2_000;
    await until(() => clock.nextDueAt() === restEnds, 'the scrub rests after the big file');
    assert.equal(damaged.seen.length, 0, 'the second version waits for the rest to end');
    clock.advance(1_999);
    assert.equal(damaged.seen.length, 0);
    clock.advance(1);
    assert.equal((await damaged.next()).versionId, smallVersion?.id);
    await host.stop();
  });

  it('is off with 0', async () => {
    const { host, clock, smallVersion } = await twoVersions({ verifyIntervalMs: 0 });
    const verified = collect(host, 'backup.verified');
    await flipByte(smallVersion?.path as string, 0, { keepTimes: true });
    clock.advance(3 * DAY);
    for (let turn = 0; turn < 100; turn++) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(verified.seen.length, 0);
    assert.equal(host.newestVersion('small.txt')?.id, smallVersion?.id, 'nothing verified it, so nothing withdrew it');
    await host.stop();
  });
});
