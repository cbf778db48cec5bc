import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import { NODE_TTL_MS } from '../../adapters/nats/node-registry.ts';
import { BusBridge } from '../../adapters/nats/bus-bridge.ts';
import { NatsLink } from '../../adapters/nats/nats-link.ts';
import { Bus } from '../../src/bus/bus.ts';
import { systemClock } from '../../src/clock/clock.ts';
import type { ClusterRemoteEvent } from '../../src/cluster/events.ts';
import { ClusterKeyMismatchError, NodeUnreachableError } from '../../src/cluster/cluster-errors.ts';
import type { Host } from '../../src/host/host.ts';
import { startHost } from '../../src/host/start-host.ts';
import { randomIds } from '../../src/ids/ids.ts';
import { RequestTimeoutError } from '../../src/protocol/errors.ts';
import { natsServerOr, NATS_SERVER, startNatsCluster, type NatsCluster } from '../helpers/nats-cluster.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const HOUR = 3_600_000;

/** Resolves when `check` holds, polling; fails with `what` after `ms`. */
async function until(what: string, check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function nodeHost(nats: NatsCluster, nodeName: string, dataDir: string, jobs: { sourcePath: string; intervalMs: number }[] = []): Promise<Host> {
  return startHost({
    dataDir,
    backupDir: path.join(dataDir, 'backups'),
    socket: false,
    cluster: { servers: nats.urls, nodeName, store: 'lowdb' },
    jobs,
  });
}

/** Each node keeps its own catalog (lowdb); the cluster shares the service key, copied as an operator would. */
async function dataDirWithKeyOf(from: string, label: string): Promise<string> {
  const dataDir = await tempDir(label);
  await mkdir(path.join(dataDir, 'keys'), { recursive: true, mode: 0o700 });
  await copyFile(path.join(from, 'keys', 'service.key'), path.join(dataDir, 'keys', 'service.key'));
  return dataDir;
}

describe('the bus bridge between two nodes', { skip: NATS_SERVER === null ? 'no nats-server' : false }, () => {
  let nats: NatsCluster;
  let a: Host;
  let b: Host;
  let aData: string;
  let jobId: string;
  let raw: NatsConnection;
  const subjects: string[] = [];
  const atB: ClusterRemoteEvent[] = [];

  before(async () => {
    nats = await startNatsCluster();
    raw = await connect({ servers: [...nats.urls] });
    // Everything published under the cluster's prefix, to see what leaves a node.
    raw.subscribe('safekeep.>', {
      callback: (_error, msg) => {
        subjects.push(msg.subject);
      },
    });
    const root = await tempDir('cluster-bridge');
    const source = path.join(root, 'notes.json');
    await writeFile(source, '{"v":1}');
    aData = path.join(root, 'a');
    a = await nodeHost(nats, 'a', aData, [{ sourcePath: source, intervalMs: HOUR }]);
    jobId = a.jobs()[0]?.id as string;
    b = await nodeHost(nats, 'b', await dataDirWithKeyOf(aData, 'cluster-bridge-b'));
    b.bus.on$('cluster.remote').subscribe((event) => atB.push(event));
    await until('both nodes in the registry', async () => (await b.status()).cluster?.nodes.length === 2);
  });

  after(async () => {
    await b?.stop();
    await a?.stop();
    await raw?.close();
  });

  it('runs a backup sent to node b for node a\'s job on node a, and b gets the answer', async (t) => {
    if (!natsServerOr(t)) return;
    const completedAtA: string[] = [];
    a.bus.on$('backup.completed').subscribe((completed) => completedAtA.push(completed.version.id));
    const { outcome, version } = await b.request('backup.run', { job: jobId });
    assert.ok(outcome === 'copied' || outcome === 'unchanged');
    assert.equal(version.jobId, jobId);
    assert.ok(completedAtA.includes(version.id) || a.versions(jobId).some((v) => v.id === version.id), 'the version was made on node a');
    assert.equal(b.versions(jobId).length, 0, "node b's own catalog has no version of it");
  });

  it('pauses and resumes node a\'s job from node b', async () => {
    assert.deepEqual(await b.request('job.pause', { job: jobId }), { jobId });
    assert.equal(a.jobs()[0]?.state, 'paused');
    assert.deepEqual(await b.request('job.resume', { job: jobId }), { jobId });
    assert.notEqual(a.jobs()[0]?.state, 'paused');
  });

  it("answers a request without a job name on a node without jobs with the cluster's first job", async () => {
    assert.deepEqual(await b.request('job.pause', {}), { jobId });
    await b.request('job.resume', {});
  });

  it("carries node a's backup.* events to node b as cluster.remote, and never b's own back", async () => {
    await until('a paused/resumed event from a at b', () => atB.some((event) => event.node === 'a' && event.name === 'backup.paused'));
    await until('a completed event from a at b', () => atB.some((event) => event.node === 'a' && event.name === 'backup.completed'));
    assert.ok(atB.every((event) => event.node === 'a' && event.name.startsWith('backup.')), JSON.stringify(atB.map((event) => [event.node, event.name])));
    const status = await b.status();
    const job = status.cluster?.jobs.find((entry) => entry.jobId === jobId);
    assert.equal(job?.runsOn, 'a');
    assert.ok(job?.heard, 'b keeps what it heard of the job');
  });

  it('lets no local-only event leave a node: only backup.* events, requests and their replies', async () => {
    const events = subjects.filter((subject) => subject.startsWith('safekeep.events.'));
    assert.ok(events.length > 0);
    for (const subject of events) assert.match(subject, /^safekeep\.events\.[ab]\.backup\./);
    for (const subject of subjects) assert.match(subject, /^safekeep\.(events|requests)\./, subject);
  });

  it('keeps the node registry in a bucket with the configured replicas and a TTL of three heartbeats', async () => {
    const jsm = await jetstreamManager(raw);
    const info = await jsm.streams.info('KV_safekeep-nodes');
    assert.equal(info.config.num_replicas, 3);
    assert.equal(info.config.max_age, nanos(NODE_TTL_MS));
  });

  it('says clearly that a node is not reachable', async () => {
    const bus = new Bus();
    const link = new NatsLink({ servers: nats.urls, nodeName: 't' });
    await link.open(bus);
    // Another prefix: this file's own subscriber on safekeep.> would count as a responder.
    const bridge = new BusBridge({ link, name: 'elsewhere', nodeName: 't', clock: systemClock, ids: randomIds });
    await bridge.start(bus);
    await assert.rejects(bridge.send('nobody', { kind: 'job.pause', job: jobId }, { clientAddress: 'test', timeoutMs: 2_000 }), (error: unknown) => {
      assert.ok(error instanceof NodeUnreachableError);
      assert.equal(error.code, 'NODE_UNREACHABLE');
      assert.match(error.message, /nobody is not reachable/);
      return true;
    });
    await bridge.stop();
    await link.close();
  });

  it('says a node that does not answer in time timed out, and a late answer changes nothing', async () => {
    const bus = new Bus();
    // On the responder's own server: another server may not know of its subscription yet, and answer "no responders".
    const link = new NatsLink({ servers: [`nats://${raw.getServer()}`], nodeName: 't', learnServers: false });
    await link.open(bus);
    const bridge = new BusBridge({ link, name: 'silent', nodeName: 't', clock: systemClock, ids: randomIds });
    await bridge.start(bus);
    // A responder that holds each request and answers it only after the sender's time limit.
    const late: (() => void)[] = [];
    const sub = raw.subscribe('silent.requests.slow', {
      callback: (_error, msg) => {
        late.push(() => msg.respond(JSON.stringify({ ok: true, result: { kind: 'job.pause', jobId } })));
      },
    });
    await raw.flush();
    const started = Date.now();
    await assert.rejects(bridge.send('slow', { kind: 'job.pause', job: jobId }, { clientAddress: 'test', timeoutMs: 300 }), (error: unknown) => {
      assert.ok(error instanceof RequestTimeoutError);
      assert.match(error.message, /Node slow did not answer within 300 ms/);
      return true;
    });
    assert.ok(Date.now() - started >= 290, 'not before its time limit');
    for (const answer of late) answer();
    await raw.flush();
    sub.unsubscribe();
    await bridge.stop();
    await link.close();
  });

  it('answers malformed messages on the requests subject with an error and keeps working', async () => {
    const ask = async (data: Uint8Array | string) => (await raw.request('safekeep.requests.a', data, { timeout: 5_000 })).json<{ ok: boolean; error?: { code: string } }>();
    const json = (value: unknown) => JSON.stringify(value);
    const answers = [
      await ask(randomBytes(200)),
      await ask('{not json'),
      await ask(json([1, 2])),
      await ask(json({ from: 'x', clientAddress: 'c' })),
      await ask(json({ from: 'x', clientAddress: 'c', command: { kind: 'book', request: { type: 'users.count' } } })),
      await ask(json({ from: 'x', clientAddress: 'c', command: { kind: 'no.such.thing' } })),
      await ask(json({ from: 'x', clientAddress: 'c', command: { kind: 'job.pause', job: 42 } })),
      await ask(json({ from: '../../etc', clientAddress: 'c', command: { kind: 'job.pause', job: jobId } })),
      await ask(new Uint8Array(200 * 1024)),
    ];
    for (const answer of answers) {
      assert.equal(answer.ok, false, JSON.stringify(answer));
      assert.equal(typeof answer.error?.code, 'string');
    }
    assert.deepEqual(await b.request('job.pause', { job: jobId }), { jobId }, 'node a still answers');
    await b.request('job.resume', { job: jobId });
  });

  it('refuses to start a node whose service key differs from the live nodes\'', async () => {
    const dataDir = await tempDir('cluster-bridge-c');
    await assert.rejects(nodeHost(nats, 'c', dataDir), (error: unknown) => {
      assert.ok(error instanceof ClusterKeyMismatchError, String(error));
      assert.match(error.message, /copy keys\/service\.key from node a/);
      return true;
    });
  });
});
