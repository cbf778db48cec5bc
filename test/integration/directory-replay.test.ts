import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { replayRecording } from '../../src/replay/replay.ts';
import { startTestHost } from '../helpers/host-harness.ts';
import { writeTree } from '../helpers/source-tree.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const MINUTE = 60_000;

describe('record and replay of a directory job', () => {
  it('replays snapshots, an unchanged run, verification and revert identically, touching no disk', async () => {
    const root = await tempDir('record-dir');
    const file = path.join(root, 'run.ndjson');
    const source = await writeTree(path.join(root, 'docs'), { 'a.md': 'a', 'b/c.md': 'c', 'b/skip.tmp': 'x' });
    const { host, clock } = await startTestHost(path.join(root, 'data'), { jobs: [{ sourcePath: source, intervalMs: MINUTE, excludes: ['*.tmp'] }], record: file });
    // The first run is due at once; the request joins it or follows it.
    clock.advance(0);
    assert.equal((await host.request('backup.run', {})).version.kind, 'directory');
    assert.equal((await host.request('backup.run', {})).outcome, 'unchanged');
    await writeFile(path.join(source, 'a.md'), 'a2');
    assert.equal((await host.request('backup.run', {})).outcome, 'copied');
    assert.equal((await host.request('backup.verify', {})).damaged, 0);
    await host.request('backup.revert', {});
    await host.stop();

    const text = await readFile(file, 'utf8');
    assert.match(text, /"op":"snapshotDirectory"/);
    assert.match(text, /"op":"checkSnapshot"/);
    const result = await replayRecording(text);
    assert.equal(result.divergence, null, JSON.stringify(result.divergence, null, 2));
    assert.equal(result.complete, true);
  });

  it('replays a directory restore (an older snapshot put back over the source, then undone) identically, touching no disk', async () => {
    const root = await tempDir('record-dir-restore');
    const file = path.join(root, 'run.ndjson');
    const source = await writeTree(path.join(root, 'docs'), { 'a.md': 'a', 'b/c.md': 'c' });
    const { host, clock } = await startTestHost(path.join(root, 'data'), { jobs: [{ sourcePath: source, intervalMs: MINUTE }], record: file });
    clock.advance(0);
    const first = (await host.request('backup.run', {})).version;
    await writeFile(path.join(source, 'a.md'), 'a2');
    assert.equal((await host.request('backup.run', {})).outcome, 'copied');
    const restored = await host.request('backup.restore', { version: first.id });
    assert.equal(await readFile(path.join(source, 'a.md'), 'utf8'), 'a');
    await host.request('backup.restore', { version: restored.previous?.id ?? '' });
    assert.equal(await readFile(path.join(source, 'a.md'), 'utf8'), 'a2');
    await host.stop();

    const text = await readFile(file, 'utf8');
    assert.match(text, /"op":"restoreDirectory"/);
    const result = await replayRecording(text);
    assert.equal(result.divergence, null, JSON.stringify(result.divergence, null, 2));
    assert.equal(result.complete, true);
  });
});
