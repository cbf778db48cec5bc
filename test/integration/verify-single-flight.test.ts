import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { collect, startTestHost, writeSource } from '../helpers/host-harness.ts';
import { tempDir } from '../helpers/temp-dir.ts';

describe('verify asked for many times at once', () => {
  it('is one pass that every asker shares, not one re-hash of every version per request', async () => {
    const root = await tempDir('verify-once');
    const source = await writeSource(root, 'notes.txt', 'one\n');
    const { host, clock } = await startTestHost(path.join(root, 'data'), { jobs: [{ sourcePath: source, intervalMs: 60_000 }], verifyIntervalMs: 0 });
    clock.advance(0);
    await host.runBackup();
    await writeSource(root, 'notes.txt', 'two\n');
    await host.runBackup();
    const passes = collect(host, 'backup.verified');
    const reports = await Promise.all(Array.from({ length: 50 }, () => host.request('backup.verify', {})));
    assert.equal(passes.seen.length, 1);
    for (const report of reports) assert.deepEqual(report, reports[0]);
    assert.equal(reports[0]?.checked, 2);
    // Once it is over, the next request is a pass of its own.
    await host.request('backup.verify', {});
    assert.equal(passes.seen.length, 2);
    await host.stop('test');
  });
});
