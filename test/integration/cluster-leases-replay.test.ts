import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { startHost } from '../../src/host/start-host.ts';
import { replayRecording } from '../../src/replay/replay.ts';
import { writeSource } from '../helpers/host-harness.ts';
import { natsServerOr, startNatsCluster } from '../helpers/nats-cluster.ts';
import { tempDir } from '../helpers/temp-dir.ts';

describe('record and replay of a cluster node that runs a shared job', () => {
  // The replay of a cluster node is the bridge part's: today the replay starts its host before it feeds the recorded
  // `cluster.link` (the NATS link comes up before the store), so it differs at step 1, before any lease call. Once a replay
  // feeds those start-up inputs, drop the todo: the leases' part (ScriptedLeases, the header's `cluster`) is in place.
  it('replays identically: the lease calls are answered from the recording, without NATS', { todo: "needs the bridge part's replay of a cluster node (cluster.link before the host's first step)" }, async (t) => {
    if (!natsServerOr(t)) return;
    const nats = await startNatsCluster();
    const root = await tempDir('cluster-leases-replay');
    const file = path.join(root, 'run.ndjson');
    const source = await writeSource(root, 'shared.txt', 'one\n');
    const host = await startHost({
      dataDir: path.join(root, 'data'),
      socket: false,
      jobs: [{ sourcePath: source, intervalMs: 1_000, shared: true }],
      cluster: { servers: nats.urls, nodeName: 'a', store: 'lowdb', leaseTtlMs: 1_000 },
      record: file,
    });
    const leases: string[] = [];
    let completed = 0;
    host.bus.on$('cluster.lease').subscribe((event) => leases.push(event.state));
    host.bus.on$('backup.completed').subscribe(() => completed++);
    const end = Date.now() + 20_000;
    while (completed < 2 && Date.now() < end) {
      await writeSource(root, 'shared.txt', `at ${Date.now()}\n`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await host.stop();
    assert.ok(completed >= 2, `${completed} backups`);
    assert.deepEqual(leases, ['taken', 'released']);

    const text = await readFile(file, 'utf8');
    assert.match(text, /"port":"leases"/);
    const result = await replayRecording(text);
    assert.equal(result.divergence, null, JSON.stringify(result.divergence, null, 2));
    assert.equal(result.matched, result.steps);
  });
});
