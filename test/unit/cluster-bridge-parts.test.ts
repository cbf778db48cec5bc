import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BridgeOutbox } from '../../adapters/nats/bridge-outbox.ts';
import { BusBridge } from '../../adapters/nats/bus-bridge.ts';
import { decodeAnswer, decodeRequest, encodeJson, eventOfSubject, MAX_REQUEST_BYTES } from '../../adapters/nats/bridge-wire.ts';
import { Health } from '../../adapters/http/health.ts';
import type { NatsLink } from '../../adapters/nats/nats-link.ts';
import { parseNodeRecord } from '../../adapters/nats/registry-record.ts';
import type { BackupJob } from '../../src/backup/job.ts';
import { Bus } from '../../src/bus/bus.ts';
import { renderCluster } from '../../src/cli/cluster-report.ts';
import { VirtualClock } from '../../src/clock/virtual-clock.ts';
import { JobNotRunningError } from '../../src/cluster/cluster-errors.ts';
import { clusterStatus } from '../../src/cluster/cluster-status.ts';
import { fixedPlacement } from '../../src/cluster/job-placement.ts';
import { keyCheckOf } from '../../src/cluster/key-check.ts';
import { RemoteJobHistory } from '../../src/cluster/remote-job-history.ts';
import { remoteRunner } from '../../src/host/job-routing.ts';
import { sequentialIds } from '../../src/ids/ids.ts';
import type { ClusterSnapshot } from '../../src/ports/cluster-view.ts';

const job = (id: string, node?: string) => ({ id, sourcePath: `/src/${id}`, intervalMs: 60_000, ...(node ? { node } : {}) }) as unknown as BackupJob;

describe('the bridge wire format', () => {
  it('takes a routed command with its sender and client', () => {
    const request = decodeRequest(encodeJson({ from: 'b', clientAddress: 'tcp:1.2.3.4:5', command: { kind: 'job.pause', job: 'j1' } }));
    assert.deepEqual(request, { from: 'b', clientAddress: 'tcp:1.2.3.4:5', command: { kind: 'job.pause', job: 'j1' } });
  });

  it('answers what is not a routed request with an error shape, never throwing', () => {
    const cases: [Uint8Array, string][] = [
      [new Uint8Array(MAX_REQUEST_BYTES + 1), 'REQUEST_TOO_LONG'],
      [new Uint8Array([0xff, 0xfe, 0x00]), 'INVALID_REQUEST'],
      [encodeJson('text'), 'INVALID_REQUEST'],
      [encodeJson({ from: 'b c', clientAddress: 'x', command: { kind: 'job.pause', job: 'j' } }), 'INVALID_REQUEST'],
      [encodeJson({ from: 'b', clientAddress: 'x'.repeat(300), command: { kind: 'job.pause', job: 'j' } }), 'INVALID_REQUEST'],
      [encodeJson({ from: 'b', clientAddress: 'x', command: { kind: 'backup.status' } }), 'INVALID_REQUEST'],
      [encodeJson({ from: 'b', clientAddress: 'x', command: { kind: 'book', request: { type: 'users.count' } } }), 'INVALID_REQUEST'],
    ];
    for (const [bytes, code] of cases) assert.equal((decodeRequest(bytes) as { code: string }).code, code);
  });

  it('reads an answer, and calls one it cannot read an error', () => {
    assert.deepEqual(decodeAnswer(encodeJson({ ok: true, result: { kind: 'job.pause', jobId: 'j' } }), 'a'), { ok: true, result: { kind: 'job.pause', jobId: 'j' } });
    assert.deepEqual(decodeAnswer(encodeJson({ ok: false, error: { code: 'UNKNOWN_JOB', message: 'no' } }), 'a'), { ok: false, error: { code: 'UNKNOWN_JOB', message: 'no' } });
    const garbled = decodeAnswer(new Uint8Array([1, 2, 3]), 'a');
    assert.equal(garbled.ok, false);
    assert.match(!garbled.ok ? garbled.error.message : '', /Node a sent an answer this node cannot read/);
  });

  it('reads the node and event from an event subject, and only backup.* events', () => {
    assert.deepEqual(eventOfSubject('safekeep.events.a.backup.copy.started', 1), { node: 'a', name: 'backup.copy.started' });
    assert.deepEqual(eventOfSubject('my.prefix.events.n-1.backup.completed', 2), { node: 'n-1', name: 'backup.completed' });
    assert.equal(eventOfSubject('safekeep.events.a.store.changed', 1), null);
    assert.equal(eventOfSubject('safekeep.events.a', 1), null);
  });
});

describe('the outbox', () => {
  it('sends at once when idle, and in order on the next turn when busy', async () => {
    const outbox = new BridgeOutbox();
    const sent: number[] = [];
    outbox.send(() => sent.push(1), false);
    assert.deepEqual(sent, [1]);
    outbox.send(() => sent.push(2), true);
    outbox.send(() => sent.push(3), false); // after 2, not before it
    assert.deepEqual(sent, [1]);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(sent, [1, 2, 3]);
  });

  it('holds what several messages received in one turn cause until the turn ends, but answers a lone one at once', async () => {
    const outbox = new BridgeOutbox();
    const sent: number[] = [];
    outbox.received();
    outbox.send(() => sent.push(1), false);
    assert.deepEqual(sent, [1]);
    await new Promise((resolve) => setImmediate(resolve));
    outbox.received();
    outbox.received();
    outbox.send(() => sent.push(2), false);
    outbox.send(() => sent.push(3), false);
    assert.deepEqual(sent, [1]);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(sent, [1, 2, 3]);
    // The next turn starts counting again.
    outbox.received();
    outbox.send(() => sent.push(4), false);
    assert.deepEqual(sent, [1, 2, 3, 4]);
  });
});

describe('routing and placement', () => {
  const routing = (runner: string | null) => ({
    node: 'b',
    placement: { runnerOf: () => runner, runsHere: () => runner === 'b' },
    remote: { send: () => Promise.reject(new Error('unused')), locate: () => Promise.resolve(null) },
    timeouts: { defaultMs: 1_000, backupMs: 2_000 },
  });

  it('sends a job another node runs there, and handles its own here', () => {
    assert.equal(remoteRunner(routing('a'), job('j1', 'a')), 'a');
    assert.equal(remoteRunner(routing('b'), job('j1', 'b')), null);
    assert.equal(remoteRunner({ ...routing(null), placement: fixedPlacement('b') }, job('j2')), null, 'a job of no node runs here');
  });

  it('says clearly that no node runs a shared job between leases', () => {
    assert.throws(() => remoteRunner(routing(null), job('shared')), (error: unknown) => error instanceof JobNotRunningError && /no node runs the shared job 'shared' at the moment; try again/i.test(error.message));
  });
});

describe('what status says of the cluster', () => {
  const snapshot: ClusterSnapshot = {
    node: 'b',
    connected: true,
    server: '127.0.0.1:4222',
    nodes: [
      { name: 'a', seenAt: 1_000, startedAt: 0, version: '1.0.0', listening: { host: '127.0.0.1', port: 7001 }, jobs: ['j1'] },
      { name: 'b', seenAt: 2_000, startedAt: 0, version: '1.0.0', listening: null, jobs: ['j2'] },
    ],
    leases: [{ jobId: 's1', node: 'a', renewedAt: 1_500 }],
  };

  it('keeps what other nodes\' events said of their jobs', () => {
    const history = new RemoteJobHistory();
    history.heard({ node: 'a', name: 'backup.copy.started', payload: { jobId: 'j1', runId: 'r', at: 10 } });
    history.heard({ node: 'a', name: 'backup.progress', payload: { jobId: 'j1', runId: 'r', bytesDone: 1, totalBytes: 2 } });
    history.heard({ node: 'a', name: 'backup.progress', payload: { jobId: 'j1', runId: 'r', bytesDone: 2, totalBytes: 2 } });
    history.heard({ node: 'a', name: 'backup.completed', payload: { jobId: 'j1', runId: 'r', at: 20, kind: 'copied', version: { id: 'v1' } } });
    history.heard({ node: 'a', name: 'backup.nonsense', payload: { jobId: 'j1' } });
    history.heard({ node: 'a', name: 'backup.paused', payload: 'not an object' });
    const heard = history.of('j1');
    assert.equal(heard?.state, 'scheduled');
    assert.deepEqual(heard?.lastRun, { at: 20, outcome: 'copied', versionId: 'v1' });
    assert.deepEqual(heard?.recent.map((event) => event.name), ['backup.copy.started', 'backup.progress', 'backup.completed']);
  });

  it('names the node that runs each job, from placement and from the live nodes', () => {
    const history = new RemoteJobHistory();
    history.heard({ node: 'a', name: 'backup.failed', payload: { jobId: 'j1', runId: 'r', at: 30, error: { code: 'X', message: 'y' } } });
    const status = clusterStatus(snapshot, [{ jobId: 'j2', runsOn: 'b' }, { jobId: 's1', runsOn: null }], (id) => history.of(id));
    assert.deepEqual(
      status.jobs.map((entry) => [entry.jobId, entry.runsOn, entry.heard?.state ?? '-']),
      [
        ['j2', 'b', '-'],
        ['s1', null, '-'],
        ['j1', 'a', 'failed'],
      ],
    );
    assert.deepEqual(status.leases, [{ jobId: 's1', node: 'a' }]);
  });

  it('prints the Cluster section of safekeep status', () => {
    const status = clusterStatus(snapshot, [{ jobId: 'j2', runsOn: 'b' }], () => undefined);
    const text = renderCluster(status, 5_000);
    assert.match(text, /^Cluster: this is node b, connected to NATS at 127\.0\.0\.1:4222\n/);
    assert.match(text, /\nNODE +SEEN +LISTENING +VERSION +JOBS\n/);
    assert.match(text, /\na +4 s ago +127\.0\.0\.1:7001 +1\.0\.0 +1\n/);
    assert.match(text, /\nb \(this\) +3 s ago +- +1\.0\.0 +1\n/);
    assert.match(text, /\nj1 +a +-\n/);
    assert.match(text, /\n {2}s1 held by a\n/);
    const down = renderCluster({ ...status, connected: false, server: null }, 5_000);
    assert.match(down, /NOT connected to NATS/);
  });
});

describe('readiness in a cluster', () => {
  it('is not ready while the NATS link is down, and ready again when it is back', async () => {
    const bus = new Bus();
    const health = new Health(new VirtualClock(0));
    health.start(bus);
    await bus.emit('host.started', { listening: null });
    assert.equal(health.readiness().status, 'ok');
    await bus.emit('cluster.link', { state: 'disconnected' });
    assert.deepEqual([health.readiness().status, health.readiness().reason, health.liveness().status], ['unavailable', 'not connected to the NATS cluster', 'ok']);
    await bus.emit('cluster.link', { state: 'reconnected', server: '127.0.0.1:4222' });
    assert.equal(health.readiness().status, 'ok');
  });
});

describe('the registry record and key check', () => {
  it('reads a node record and ignores one that is not', () => {
    const record = { name: 'a', startedAt: 1, version: '1', listening: null, jobs: ['j'], keyCheck: 'k', seenAt: 2 };
    assert.deepEqual(parseNodeRecord(record), record);
    assert.equal(parseNodeRecord({ ...record, jobs: [1] }), null);
    assert.equal(parseNodeRecord({ ...record, listening: { host: 1 } }), null);
    assert.equal(parseNodeRecord(null), null);
  });

  it('is an HMAC of the key: equal for equal keys, different otherwise, never the key', () => {
    const key = Buffer.alloc(32, 7);
    assert.equal(keyCheckOf(key), keyCheckOf(Buffer.from(key)));
    assert.notEqual(keyCheckOf(key), keyCheckOf(Buffer.alloc(32, 8)));
    assert.match(keyCheckOf(key), /^[0-9a-f]{64}$/);
    assert.ok(!keyCheckOf(key).includes(key.toString('hex')));
  });
});

describe('what the bridge publishes', () => {
  it("carries backup.* events only, and a job's progress at most once a second", async () => {
    const published: string[] = [];
    // A stand-in for the one NATS connection: this test is about what the bridge chooses to send.
    const connection = {
      publish: (subject: string) => void published.push(subject),
      subscribe: () => ({ unsubscribe: () => undefined }),
      flush: async () => undefined,
    };
    const link = { connected: true, connection } as unknown as NatsLink;
    const clock = new VirtualClock(0);
    const bridge = new BusBridge({ link, name: 'sk', nodeName: 'a', clock, ids: sequentialIds() });
    const bus = new Bus();
    await bridge.start(bus);
    const progress = { jobId: 'j', runId: 'r', bytesDone: 1, totalBytes: 9, bytesPerSecond: 1, at: 0 };
    for (let i = 0; i < 5; i++) await bus.emit('backup.progress', progress);
    await bus.emit('backup.progress', { ...progress, jobId: 'k' });
    clock.advance(1_000);
    await bus.emit('backup.progress', progress);
    await bus.emit('backup.paused', { jobId: 'j' });
    await bus.emit('store.changed', { collection: 'c', key: 'k', deleted: true });
    await bus.emit('request.submitted', { requestId: 'q', command: { kind: 'backup.status' }, clientAddress: 'x' });
    await bus.emit('cluster.link', { state: 'disconnected' });
    await bridge.stop();
    assert.deepEqual(published, ['sk.events.a.backup.progress', 'sk.events.a.backup.progress', 'sk.events.a.backup.progress', 'sk.events.a.backup.paused']);
  });
});
