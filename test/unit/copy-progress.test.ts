import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { BackupProgress } from '../../src/backup/events.ts';
import { Bus } from '../../src/bus/bus.ts';
import { VirtualClock } from '../../src/clock/virtual-clock.ts';
import { copyProgressPublisher } from '../../src/host/copy-progress.ts';

const MiB = 1024 * 1024;

function publisher() {
  const bus = new Bus();
  const clock = new VirtualClock(1_000_000);
  const published: BackupProgress[] = [];
  bus.on('backup.progress', (progress) => void published.push(progress));
  const onProgress = copyProgressPublisher({ bus, clock, jobId: 'disk.img', runId: 'disk.img#1' });
  return { clock, published, onProgress };
}

/** The bus delivers asynchronously: lets it hand over what was emitted. */
const delivered = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('copy progress', () => {
  it('publishes nothing for a copy that finishes within a second', async () => {
    const { clock, published, onProgress } = publisher();
    for (let chunk = 1; chunk <= 9; chunk++) {
      clock.advance(100);
      onProgress(chunk * 4 * MiB, 36 * MiB);
    }
    await delivered();
    assert.deepEqual(published, []);
  });

  it('publishes the first after a second, then at most every half second, with the average rate', async () => {
    const { clock, published, onProgress } = publisher();
    // A chunk every 300 ms: heard at 0.3, 0.6, 0.9, 1.2, 1.5, 1.8, 2.1, 2.4 s.
    for (let chunk = 1; chunk <= 8; chunk++) {
      clock.advance(300);
      onProgress(chunk * 3 * MiB, 24 * MiB);
    }
    await delivered();
    assert.deepEqual(
      published.map(({ bytesDone, at }) => [bytesDone / MiB, at - 1_000_000]),
      [
        [12, 1200],
        [18, 1800],
        [24, 2400],
      ],
    );
    assert.deepEqual(published[0], {
      jobId: 'disk.img',
      runId: 'disk.img#1',
      bytesDone: 12 * MiB,
      totalBytes: 24 * MiB,
      bytesPerSecond: 10 * MiB,
      at: 1_001_200,
    });
  });
});
