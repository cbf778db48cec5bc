import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { JobReport, ServiceStatus } from '../../src/backup/job-report.ts';
import { formatAbsolute, formatBytes, formatDuration, formatWhen } from '../../src/cli/human-format.ts';
import { jobNeedsAttention, renderStatus, renderVersions } from '../../src/cli/service-report.ts';
import { renderTable } from '../../src/cli/text-table.ts';

const NOW = Date.UTC(2026, 10, 28, 1, 5, 3);
const clock = { now: NOW, timeZone: 'UTC' };

describe('sizes and times for people', () => {
  it('writes sizes in binary units with at most three figures', () => {
    assert.equal(formatBytes(0), '0 B');
    assert.equal(formatBytes(1023), '1023 B');
    assert.equal(formatBytes(1024), '1 KiB');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(10.25 * 1024 ** 2), '10.3 MiB');
    assert.equal(formatBytes(500 * 1024 ** 3), '500 GiB');
    assert.equal(formatBytes(3 * 1024 ** 4), '3 TiB');
  });

  it('writes durations in their largest one or two units', () => {
    assert.equal(formatDuration(250), '250 ms');
    assert.equal(formatDuration(45_000), '45 s');
    assert.equal(formatDuration(3 * 60_000 + 20_000), '3 min');
    assert.equal(formatDuration(2 * 3_600_000), '2 h');
    assert.equal(formatDuration(2 * 3_600_000 + 5 * 60_000), '2 h 5 min');
    assert.equal(formatDuration(3 * 86_400_000 + 4 * 3_600_000), '3 d 4 h');
  });

  it('writes a moment relative to now, then absolute in the given zone', () => {
    assert.equal(formatAbsolute(Date.UTC(2026, 10, 28, 1, 2, 3), 'UTC'), '2026-11-28 01:02:03');
    assert.equal(formatAbsolute(Date.UTC(2026, 10, 28, 1, 2, 3), 'Europe/Berlin'), '2026-11-28 02:02:03');
    assert.equal(formatWhen(NOW - 3 * 60_000, NOW, 'UTC'), '3 min ago (2026-11-28 01:02:03)');
    assert.equal(formatWhen(NOW + 5 * 60_000, NOW, 'UTC'), 'in 5 min (2026-11-28 01:10:03)');
    assert.equal(formatWhen(NOW, NOW, 'UTC'), 'now (2026-11-28 01:05:03)');
  });
});

describe('text tables', () => {
  it('pads columns to their widest cell, numbers to the right, no trailing blanks', () => {
    const text = renderTable([{ heading: 'JOB' }, { heading: 'SIZE', right: true }, { heading: 'NOTE' }], [['notes.txt', '1.5 KiB', ''], ['a', '3 B', 'x']]);
    assert.equal(text, 'JOB           SIZE  NOTE\nnotes.txt  1.5 KiB\na              3 B  x\n');
  });
});

function job(overrides: Partial<JobReport>): JobReport {
  return {
    id: 'notes.txt',
    source: '/home/ann/notes.txt',
    kind: 'file',
    intervalMs: 300_000,
    state: 'scheduled',
    lastRun: { startedAt: NOW - 180_500, endedAt: NOW - 180_000, durationMs: 500, outcome: 'copied', versionId: 'notes.txt@3', error: null },
    nextRunAt: NOW + 120_000,
    versions: 3,
    totalBytes: 1536,
    damagedVersions: 0,
    ...overrides,
  };
}

function status(jobs: JobReport[]): ServiceStatus {
  return { version: '0.1.0', startedAt: NOW - 7_500_000, uptimeMs: 7_500_000, jobs };
}

describe('safekeep status as text', () => {
  it('shows the service, then a row per job', () => {
    assert.equal(
      renderStatus(status([job({}), job({ id: 'photos', state: 'paused', lastRun: null, nextRunAt: null, versions: 0, totalBytes: 0 })]), '127.0.0.1:12345', clock),
      [
        'safekeep 0.1.0 on 127.0.0.1:12345, up 2 h 5 min (since 2026-11-27 23:00:03)',
        '',
        'JOB        STATE      LAST RUN                                 NEXT RUN                        VERSIONS     SIZE  DAMAGED',
        'notes.txt  scheduled  copied, 3 min ago (2026-11-28 01:02:03)  in 2 min (2026-11-28 01:07:03)         3  1.5 KiB        0',
        'photos     paused     none yet                                 -                                      0      0 B        0',
        '',
      ].join('\n'),
    );
  });

  it('flags a failed last run and damaged versions below the table', () => {
    const failed = job({ state: 'failed', lastRun: { ...job({}).lastRun!, outcome: 'failed', versionId: null, error: { code: 'SOURCE_MISSING', message: 'the source is gone' } } });
    const damaged = job({ id: 'photos', damagedVersions: 2 });
    const text = renderStatus(status([failed, damaged]), '127.0.0.1:12345', clock);
    assert.match(text, /\n! notes\.txt: the last run failed 3 min ago: the source is gone \(code SOURCE_MISSING\)\n/);
    assert.match(text, /\n! photos: 2 damaged versions, quarantined \(see: safekeep versions photos\)\n/);
    assert.match(text, /photos .* 2 !\n/);
    assert.equal(jobNeedsAttention(failed), true);
    assert.equal(jobNeedsAttention(damaged), true);
    assert.equal(jobNeedsAttention(job({})), false);
  });

  it('says when there are no jobs', () => {
    assert.match(renderStatus(status([]), 'h:1', clock), /\n\nNo jobs\.\n$/);
  });
});

describe('safekeep versions as text', () => {
  it('lists versions newest first with damaged ones flagged', () => {
    const text = renderVersions(
      {
        jobId: 'notes.txt',
        versions: [
          { id: 'notes.txt@2', seq: 2, createdAt: NOW - 60_000, size: 2048, sha256: 'ab'.repeat(32), kind: 'file', damaged: null },
          { id: 'notes.txt@1', seq: 1, createdAt: NOW - 3_600_000, size: 100, sha256: 'cd'.repeat(32), kind: 'file', damaged: { reason: 'content-mismatch', at: NOW - 1000 } },
        ],
      },
      clock,
    );
    assert.equal(
      text,
      [
        'notes.txt: 2 versions, 2.1 KiB, newest first',
        '',
        'SEQ  CREATED                           SIZE  KIND  SHA-256       DAMAGED',
        '  2  1 min ago (2026-11-28 01:04:03)  2 KiB  file  abababababab  -',
        '  1  1 h ago (2026-11-28 00:05:03)    100 B  file  cdcdcdcdcdcd  DAMAGED: content-mismatch, found 2026-11-28 01:05:02',
        '',
      ].join('\n'),
    );
  });

  it('says when a job has no versions yet', () => {
    assert.equal(renderVersions({ jobId: 'a', versions: [] }, clock), 'a: no versions yet.\n');
  });
});
