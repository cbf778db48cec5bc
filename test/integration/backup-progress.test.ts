import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { localBackupFiles } from '../../src/backup/local-backup-files.ts';
import { VirtualClock } from '../../src/clock/virtual-clock.ts';
import type { BackupFiles } from '../../src/ports/backup-files.ts';
import { readRecording } from '../../src/replay/read-recording.ts';
import { replayRecording } from '../../src/replay/replay.ts';
import { collect, START, startTestHost, writeSource } from '../helpers/host-harness.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const MiB = 1024 * 1024;
const MINUTE = 60_000;

/**
 * The real local file work, on a disk that copies 4 MiB per 300 ms of the
 * virtual clock: the copy is real, and how long it "lasts" is decided by the
 * test, not by the machine's disk.
 */
function slowDisk(clock: VirtualClock): BackupFiles {
  return {
    ...localBackupFiles,
    copyVersion: (request) => {
      const startedAt = clock.now();
      return localBackupFiles.copyVersion({
        ...request,
        onProgress: (done, total) => {
          clock.advanceTo(startedAt + Math.round((done * 300) / (4 * MiB)));
          request.onProgress?.(done, total);
        },
      });
    },
  };
}

async function hostCopying(size: number, options: { record?: string } = {}) {
  const root = await tempDir('backup-progress');
  const source = await writeSource(root, 'disk.img', Buffer.alloc(size, 7));
  const clock = new VirtualClock(START);
  const { host } = await startTestHost(path.join(root, 'data'), { jobs: [{ sourcePath: source, intervalMs: MINUTE }], ...options }, clock, { files: slowDisk(clock) });
  return { host, clock, root };
}

describe('backup progress', () => {
  it('publishes backup.progress while a long copy runs: from a second in, at most twice a second, with the job, run, bytes, total and rate', async () => {
    const { host } = await hostCopying(24 * MiB);
    const progress = collect(host, 'backup.progress');
    await host.request('backup.run', {});
    await host.stop();
    // 24 MiB take 1.8 s of the disk's time: one event at 1 s or later, then one half a second after it at most.
    assert.ok(progress.seen.length >= 1 && progress.seen.length <= 2, JSON.stringify(progress.seen));
    const first = progress.seen[0];
    assert.ok(first && first.at >= START + 1000);
    for (const [index, event] of progress.seen.entries()) {
      assert.equal(event.jobId, 'disk.img');
      assert.equal(event.runId, 'disk.img#1');
      assert.equal(event.totalBytes, 24 * MiB);
      // The disk's pace: 4 MiB per 300 ms, within one chunk.
      assert.ok(Math.abs(event.at - START - (event.bytesDone * 300) / (4 * MiB)) <= 1);
      assert.equal(event.bytesPerSecond, Math.round((event.bytesDone * 1000) / (event.at - START)));
      if (index > 0) assert.ok(event.at - (progress.seen[index - 1] as typeof event).at >= 500);
    }
  });

  it('publishes nothing for a copy over within a second', async () => {
    const { host } = await hostCopying(12 * MiB);
    const progress = collect(host, 'backup.progress');
    await host.request('backup.run', {});
    await host.stop();
    assert.deepEqual(progress.seen, []);
  });

  it('a recording with progress events replays identically, the replay feeding them back as inputs', async () => {
    const root = await tempDir('backup-progress-record');
    const file = path.join(root, 'run.ndjson');
    const { host } = await hostCopying(24 * MiB, { record: file });
    await host.request('backup.run', {});
    await host.stop();
    const text = await readFile(file, 'utf8');
    const progressSteps = readRecording(text).steps.filter(({ step }) => step.kind === 'event' && step.name === 'backup.progress');
    assert.equal(progressSteps.length, 2);
    const result = await replayRecording(text);
    assert.equal(result.divergence, null, JSON.stringify(result.divergence, null, 2));
    assert.equal(result.matched, result.steps);
  });
});
