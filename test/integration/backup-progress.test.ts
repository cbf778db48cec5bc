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
 * The real local file work, on a disk whose every 4 MiB chunk takes 300 ms
 * of the virtual clock: the copy is real, and how long it "lasts" is decided
 * by the test, not by the machine's disk.
 */
function slowDisk(clock: VirtualClock): BackupFiles {
  return {
    ...localBackupFiles,
    copyVersion: (request) =>
      localBackupFiles.copyVersion({
        ...request,
        onProgress: (done, total) => {
          clock.advance(300);
          request.onProgress?.(done, total);
        },
      }),
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
  it('publishes backup.progress while a long copy runs, with the job, run, bytes, total and rate', async () => {
    const { host } = await hostCopying(24 * MiB);
    const progress = collect(host, 'backup.progress');
    await host.request('backup.run', {});
    await host.stop();
    // Six chunks, 300 ms each: heard at 0.3 … 1.8 s; published at 1.2 s and 1.8 s.
    assert.deepEqual(progress.seen, [
      { jobId: 'disk.img', runId: 'disk.img#1', bytesDone: 16 * MiB, totalBytes: 24 * MiB, bytesPerSecond: Math.round((16 * MiB) / 1.2), at: START + 1200 },
      { jobId: 'disk.img', runId: 'disk.img#1', bytesDone: 24 * MiB, totalBytes: 24 * MiB, bytesPerSecond: Math.round((24 * MiB) / 1.8), at: START + 1800 },
    ]);
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
