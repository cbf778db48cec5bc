import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, open, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from '../helpers/temp-dir.ts';
import { collect, startTestHost, writeSource, START } from '../helpers/host-harness.ts';
import { replayRecording } from '../../src/replay/replay.ts';
import { versionFileName } from '../../src/backup/version-name.ts';
import { VirtualClock } from '../../src/clock/virtual-clock.ts';

const MINUTE = 60_000;

describe('record and replay of integrity work', () => {
  it('a session that verifies, quarantines, withdraws a changed version, scrubs and adopts an orphan replays identically', async () => {
    const root = await tempDir('verify-replay');
    const source = await writeSource(root, 'notes.txt', 'one\n');
    const dataDir = path.join(root, 'data');
    const first = await startTestHost(dataDir, { jobs: [{ sourcePath: source, intervalMs: MINUTE }] });
    const completed = collect(first.host, 'backup.completed');
    first.clock.advance(0);
    const v1 = (await completed.next()).version;
    await first.host.stop();
    // An orphan, as a crash between the rename and the catalog entry leaves it.
    await copyFile(source, path.join(root, 'staged'));
    await rename(path.join(root, 'staged'), path.join(path.dirname(v1.path), versionFileName(source, START + 1_000, 2)));

    const file = path.join(root, 'run.ndjson');
    const { host, clock } = await startTestHost(dataDir, { jobs: [{ sourcePath: source, intervalMs: MINUTE }], record: file, verifyIntervalMs: 10 * MINUTE }, new VirtualClock(START + 2_000));
    const verified = collect(host, 'backup.verified');
    const handle = await open(v1.path, 'r+');
    await handle.write('X', 0);
    await handle.close();
    await host.request('backup.verify', {});
    await host.request('backup.revert', {});
    clock.advance(10 * MINUTE);
    while (!verified.seen.some((pass) => pass.trigger === 'schedule')) {
      await new Promise((resolve) => setImmediate(resolve));
      if ((clock.nextDueAt() ?? Infinity) <= clock.now() + 1_000) clock.advanceTo(clock.nextDueAt() as number);
    }
    await host.stop();

    const text = await readFile(file, 'utf8');
    assert.match(text, /"op":"hashFile"/);
    assert.match(text, /"name":"backup.version.damaged"/);
    const result = await replayRecording(text);
    assert.equal(result.divergence, null, JSON.stringify(result.divergence, null, 2));
    assert.equal(result.complete, true);
  });
});
