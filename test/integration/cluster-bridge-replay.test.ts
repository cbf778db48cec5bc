import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { ClusterRemoteEvent } from '../../src/cluster/events.ts';
import { startHost } from '../../src/host/start-host.ts';
import { replayRecording } from '../../src/replay/replay.ts';
import { natsServerOr, startNatsCluster } from '../helpers/nats-cluster.ts';
import { tempDir } from '../helpers/temp-dir.ts';

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('record and replay on a cluster node', () => {
  it("replays node b's session (a request routed to node a, a's events heard) with no differences and no NATS", async (t) => {
    if (!natsServerOr(t)) return;
    const nats = await startNatsCluster();
    const root = await tempDir('cluster-replay');
    const source = path.join(root, 'notes.json');
    await writeFile(source, '{"v":1}');
    const cluster = (nodeName: string) => ({ servers: nats.urls, nodeName, store: 'lowdb' as const });
    const aData = path.join(root, 'a');
    const a = await startHost({ dataDir: aData, socket: false, cluster: cluster('a'), jobs: [{ sourcePath: source, intervalMs: 3_600_000 }] });
    const jobId = a.jobs()[0]?.id as string;
    const bData = path.join(root, 'b');
    await mkdir(path.join(bData, 'keys'), { recursive: true, mode: 0o700 });
    await copyFile(path.join(aData, 'keys', 'service.key'), path.join(bData, 'keys', 'service.key'));
    const recording = path.join(root, 'b.recording');
    const b = await startHost({ dataDir: bData, socket: false, cluster: cluster('b'), record: recording });
    const heard: ClusterRemoteEvent[] = [];
    b.bus.on$('cluster.remote').subscribe((event) => heard.push(event));
    try {
      await until("a in b's registry", async () => (await b.status()).cluster?.nodes.some((node) => node.name === 'a') === true);
      assert.deepEqual(await b.request('job.pause', { job: jobId }), { jobId });
      await until("a's backup.paused at b", () => heard.some((event) => event.name === 'backup.paused'));
      assert.deepEqual(await b.request('job.resume', {}), { jobId }, 'the default job: the first job of the cluster');
      await until("a's backup.resumed at b", () => heard.some((event) => event.name === 'backup.resumed'));
      await assert.rejects(b.request('job.pause', { job: 'no-such-job' }), { code: 'UNKNOWN_JOB' });
    } finally {
      await b.stop();
      await a.stop();
    }
    const text = await readFile(recording, 'utf8');
    assert.match(text, /"port":"remote"/, 'the routed requests are in the recording');
    assert.match(text, /"name":"cluster.remote"/, "a's events are in the recording");
    await nats.stop();
    const result = await replayRecording(text);
    assert.equal(result.divergence, null, JSON.stringify(result.divergence));
    assert.equal(result.matched, result.steps);
  });
});
