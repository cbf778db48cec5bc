import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { ConsoleReporter } from '../../adapters/console/console-reporter.ts';
import { Bus } from '../../src/bus/bus.ts';
import { VirtualClock } from '../../src/clock/virtual-clock.ts';

async function reporterOn(verbose = false) {
  const bus = new Bus();
  const out = new PassThrough({ encoding: 'utf8' });
  let text = '';
  out.on('data', (chunk: string) => (text += chunk));
  const reporter = new ConsoleReporter({ out, clock: new VirtualClock(Date.parse('2026-11-24T09:00:00Z')), verbose });
  await reporter.start(bus);
  return { bus, reporter, lines: () => text.split('\n').filter(Boolean) };
}

describe('console reporter', () => {
  it('logs a failed run with its code and reason', async () => {
    const { bus, lines, reporter } = await reporterOn();
    await bus.emit('backup.failed', {
      jobId: 'notes.json',
      runId: 'notes.json#3',
      at: 0,
      error: { code: 'DESTINATION_FULL', message: 'No space left for the copy in /backups/notes.json' },
      attempt: 2,
      requestIds: [],
    });
    assert.deepEqual(lines(), [
      '2026-11-24T09:00:00.000Z [notes.json] failed (DESTINATION_FULL): No space left for the copy in /backups/notes.json [failure 2 in a row]',
    ]);
    await reporter.stop();
  });

  it('logs what start-up cleaned, and says nothing of requests unless verbose', async () => {
    const { bus, lines, reporter } = await reporterOn();
    await bus.emit('backup.jobs.loaded', { jobs: [], activeJobIds: [], missingVersionIds: ['a@1'], leftoversRemoved: 2, damagedJobIds: [], damagedVersionIds: [], orphansAdopted: [], orphansRemoved: [] });
    await bus.emit('requests.received', { connectionId: 'c', requests: [{ connectionId: 'c', requestId: 'r', dialect: 'text', text: 'revert', framing: 'bare', receivedAt: 0 }] });
    await bus.emit('connection.opened', { connectionId: 'c', remoteAddress: '127.0.0.1', remotePort: 5 });
    assert.deepEqual(lines(), [
      '2026-11-24T09:00:00.000Z catalog: removed 2 partial copies left by an interrupted run; versions missing on disk, not offered for revert: a@1',
    ]);
    await reporter.stop();
  });

  it('logs damage, mismatches, verification passes, damaged records and orphans', async () => {
    const { bus, lines, reporter } = await reporterOn();
    await bus.emit('backup.jobs.loaded', {
      jobs: [],
      activeJobIds: [],
      missingVersionIds: [],
      leftoversRemoved: 0,
      damagedJobIds: ['old.txt'],
      damagedVersionIds: ['notes.json@2'],
      orphansAdopted: ['notes.json@4'],
      orphansRemoved: ['/b/notes.json/notes.x.000003.json'],
    });
    await bus.emit('backup.version.mismatch', { jobId: 'notes.json', versionId: 'notes.json@3', path: '/b/n3', expected: { size: 4 }, actual: null, at: 0 });
    await bus.emit('backup.version.damaged', {
      jobId: 'notes.json',
      versionId: 'notes.json@3',
      path: '/b/n3',
      reason: 'content-mismatch',
      expectedSha256: 'a'.repeat(64),
      actualSha256: 'b'.repeat(64),
      at: 0,
    });
    await bus.emit('backup.verified', { at: 0, trigger: 'schedule', checked: 3, damaged: 1, damagedVersionIds: ['notes.json@3'] });
    await bus.emit('backup.verified', { at: 0, trigger: 'mismatch', checked: 1, damaged: 0, damagedVersionIds: [] });
    assert.deepEqual(lines(), [
      '2026-11-24T09:00:00.000Z catalog: job records failing their checksum, not scheduled: old.txt; version records failing their checksum, not offered for revert: notes.json@2; adopted 1 uncatalogued copy of an interrupted run: notes.json@4; removed 1 uncatalogued version file: /b/notes.json/notes.x.000003.json',
      '2026-11-24T09:00:00.000Z [notes.json] notes.json@3 no longer matches its recorded size, mtime and inode: not offered until verified',
      '2026-11-24T09:00:00.000Z [notes.json] notes.json@3 is damaged (content-mismatch): /b/n3 hashes to bbbbbbbbbbbb…, not aaaaaaaaaaaa…; quarantined, never offered for revert',
      '2026-11-24T09:00:00.000Z verify (scheduled): 3 versions checked, 1 damaged: notes.json@3',
    ]);
    await reporter.stop();
  });
});
