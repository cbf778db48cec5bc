import assert from 'node:assert/strict';
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ServiceStatus } from '../../src/backup/job-report.ts';
import { NODE_TTL_MS } from '../../adapters/nats/node-registry.ts';
import { natsServerOr, NATS_SERVER, startNatsCluster, type NatsCluster } from '../helpers/nats-cluster.ts';
import { JsonClient } from '../helpers/json-client.ts';
import { run, SAFEKEEP_ARGV, SafekeepProcess } from '../helpers/safekeep-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

let nats: NatsCluster;
let folder: string;
const nodes: SafekeepProcess[] = [];

function startNode(name: string, ...extra: string[]): SafekeepProcess {
  const node = new SafekeepProcess(
    ['--port', '0', '--data-dir', name, '--cluster', nats.urls.join(','), '--node-name', name, '--store', 'lowdb', ...extra],
    folder,
  );
  nodes.push(node);
  return node;
}

function safekeep(...args: string[]) {
  return run(process.execPath, [...SAFEKEEP_ARGV, ...args], { cwd: folder });
}

async function statusOf(port: number): Promise<ServiceStatus> {
  const result = await safekeep('status', '--port', String(port), '--json');
  assert.ok(result.code === 0 || result.code === 1, result.stderr);
  return JSON.parse(result.stdout) as ServiceStatus;
}

/** Every file under `dir`, at any depth (none when it does not exist). */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
}

/** Polls `check` until it holds (or fails after `ms`); resolves with how long it took. */
async function until(what: string, check: () => Promise<boolean>, ms: number): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > ms) assert.fail(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return Date.now() - started;
}

describe('safekeep status in a cluster (real processes, 3-server NATS)', { skip: NATS_SERVER === null ? 'no nats-server' : false }, () => {
  let portA: number;
  let portB: number;
  let pageB: string;
  let a: SafekeepProcess;

  before(async () => {
    nats = await startNatsCluster();
    folder = await tempDir('cluster-status');
    await writeFile(path.join(folder, 'notes.txt'), 'notes\n');
    a = startNode('a', '--source', 'notes.txt', '--interval', '1h');
    portA = await a.port();
    // The operator copies the first node's service key to every other node (README "Cluster").
    await mkdir(path.join(folder, 'b', 'keys'), { recursive: true, mode: 0o700 });
    await copyFile(path.join(folder, 'a', 'keys', 'service.key'), path.join(folder, 'b', 'keys', 'service.key'));
    const b = startNode('b', '--http', '0');
    portB = await b.port();
    pageB = (await b.waitFor('stdout', /status page at (http:\/\/\S+\/)/))[1] as string;
  });

  after(async () => {
    await Promise.all(nodes.map((node) => node.stop('SIGKILL')));
  });

  it('shows the nodes and which node runs which job, as JSON and as text', async (t) => {
    if (!natsServerOr(t)) return;
    let status: ServiceStatus | null = null;
    await until('both nodes in b\'s status', async () => (status = await statusOf(portB)).cluster?.nodes.length === 2, 10_000);
    const cluster = (status as unknown as ServiceStatus).cluster;
    assert.equal(cluster?.node, 'b');
    assert.equal(cluster?.connected, true);
    assert.deepEqual(cluster?.nodes.map((node) => node.name), ['a', 'b']);
    assert.equal(cluster?.nodes[0]?.listening?.port, portA);
    const jobId = cluster?.nodes[0]?.jobs[0];
    assert.ok(jobId, 'a says it runs its job');
    assert.deepEqual(cluster?.jobs.find((job) => job.jobId === jobId)?.runsOn, 'a');
    const statusA = await statusOf(portA);
    assert.equal(statusA.jobs[0]?.runsOn, 'a');

    const text = await safekeep('status', '--port', String(portB));
    assert.match(text.stdout, /Cluster: this is node b, connected to NATS at \S+/);
    assert.match(text.stdout, /\nNODE +SEEN +LISTENING +VERSION +JOBS\n/);
    assert.match(text.stdout, /\na +\S+ m?s ago +127\.0\.0\.1:\d+ +\S+ +1\n/);
    assert.match(text.stdout, /\nb \(this\) /);
    assert.match(text.stdout, new RegExp(`\\n${jobId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} +a +`));
  });

  it("answers a socket client of node b about node a's job from node a", async () => {
    const jobId = (await statusOf(portA)).jobs[0]?.id as string;
    const client = await JsonClient.connect(portB);
    try {
      assert.deepEqual(await client.ok({ type: 'job.pause', job: jobId }), { jobId });
      assert.equal((await statusOf(portA)).jobs[0]?.state, 'paused', 'paused on node a');
      assert.deepEqual(await client.ok({ type: 'job.resume', job: jobId }), { jobId });
      assert.equal(await client.fails({ type: 'job.pause', job: 'no-such-job' }), 'UNKNOWN_JOB');
    } finally {
      client.close();
    }
  });

  it('drops a killed node within the registry\'s TTL', async () => {
    await a.stop('SIGKILL');
    const took = await until('a gone from b\'s status', async () => (await statusOf(portB)).cluster?.nodes.map((node) => node.name).join() === 'b', NODE_TTL_MS + 3_000);
    assert.ok(took <= NODE_TTL_MS + 3_000, `took ${took} ms`);
  });

  it('stops a node whose service key is not the cluster\'s, telling the operator what to copy', async () => {
    // With a job of its own: checked before the catalog loads, the node must refuse before it writes the job.
    const c = startNode('c', '--source', 'notes.txt', '--interval', '1h');
    const exit = await c.exited;
    assert.notEqual(exit.code, 0);
    assert.match(c.stderr, /copy keys\/service\.key from node b/);
    assert.doesNotMatch(c.stderr + c.stdout, /[0-9a-f]{64}/, 'no key nor key check is printed');
    // It served nothing: no socket, and nothing of its job in its catalog.
    assert.doesNotMatch(c.stdout, /listening on/);
    const written = await filesUnder(path.join(folder, 'c', 'store'));
    for (const file of written) assert.doesNotMatch(await readFile(file, 'utf8'), /notes\.txt/, `${file} holds the job`);
  });
  it('shows the cluster on /api/status and the page, and /readyz is not ready while the NATS link is down', async () => {
    const api = (await (await fetch(new URL('api/status', pageB))).json()) as { cluster?: { node: string; connected: boolean; nodes: { name: string }[] } };
    assert.equal(api.cluster?.node, 'b');
    assert.equal(api.cluster?.connected, true);
    const page = await (await fetch(pageB)).text();
    assert.match(page, /<section id="cluster" hidden>/, 'the page has the cluster section (shown by page.js when the snapshot has one)');
    assert.equal((await fetch(new URL('readyz', pageB))).status, 200);
    await Promise.all([0, 1, 2].map((i) => nats.kill(i)));
    await until('/readyz not ready', async () => (await fetch(new URL('readyz', pageB))).status === 503, 5_000);
    const down = (await (await fetch(new URL('readyz', pageB))).json()) as { reason: string };
    assert.equal(down.reason, 'not connected to the NATS cluster');
    const text = await safekeep('status', '--port', String(portB));
    assert.match(text.stdout, /Cluster: this is node b, NOT connected to NATS/);
    await nats.restart(0);
    await until('/readyz ready again', async () => (await fetch(new URL('readyz', pageB))).status === 200, 10_000);
  });

});
