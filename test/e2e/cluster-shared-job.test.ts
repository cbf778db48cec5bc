import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFile, copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { natsServerOr, startNatsCluster } from '../helpers/nats-cluster.ts';
import { run, SAFEKEEP_ARGV, spawnSafekeep, type SafekeepProcess } from '../helpers/safekeep-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { JsonClient } from '../helpers/json-client.ts';

const INTERVAL_MS = 2_000;
const NODES = ['a', 'b', 'c'] as const;
/**
 * `nats` (one catalog for the cluster, the default with --cluster); SAFEKEEP_E2E_STORE=lowdb runs it with each
 * node's own catalog, the leases still shared through NATS.
 */
const STORE = (process.env['SAFEKEEP_E2E_STORE'] ?? 'nats') as 'nats' | 'lowdb';

type LogLine = Record<string, unknown> & { event: string; time: string };

interface Node {
  readonly name: string;
  readonly dataDir: string;
  readonly logFile: string;
  readonly process: SafekeepProcess;
}

/** A node's log so far; a line cut short by kill -9 is left out. */
async function logOf(node: Node): Promise<LogLine[]> {
  const text = await readFile(node.logFile, 'utf8').catch(() => '');
  return text.split('\n').flatMap((line) => {
    try {
      return line ? [JSON.parse(line) as LogLine] : [];
    } catch {
      return [];
    }
  });
}

async function until<T>(what: string, check: () => Promise<T | null | undefined | false>, deadlineMs: number): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Each copy a node made of the job, as [start, end] times from its log; a copy cut by the kill ends at the kill. */
function copiesOf(lines: readonly LogLine[], endOfOpen: number): { runId: string; start: number; end: number; outcome: string }[] {
  const starts = new Map<string, number>();
  const copies: { runId: string; start: number; end: number; outcome: string }[] = [];
  for (const line of lines) {
    const runId = String(line['runId']);
    if (line.event === 'backup.copy.started') starts.set(runId, Date.parse(line.time));
    if (line.event === 'backup.completed' || line.event === 'backup.failed') {
      const start = starts.get(runId);
      if (start !== undefined) copies.push({ runId, start, end: Date.parse(line.time), outcome: line.event });
      starts.delete(runId);
    }
  }
  for (const [runId, start] of starts) copies.push({ runId, start, end: endOfOpen, outcome: 'cut' });
  return copies;
}

describe('a shared job in a 3-node safekeep cluster (--shared-source)', () => {
  it('runs on one node at a time; after kill -9 of that node another takes it over within two intervals, with no overlapping copies and no partial version', async (t) => {
    if (!natsServerOr(t)) return;
    const nats = await startNatsCluster();
    const root = await tempDir('cluster-shared-job');
    const source = path.join(root, 'shared', 'notes.txt');
    await mkdir(path.dirname(source));
    // Big enough that a copy takes a while, so the kill can land in the middle of one.
    await writeFile(source, Buffer.alloc(16 * 1024 * 1024, 'safekeep '));
    // The source keeps changing, so every run copies.
    let lineNo = 0;
    const appender = setInterval(() => void appendFile(source, `line ${++lineNo} ${'x'.repeat(200)}\n`), 500);
    const nodes: Node[] = [];
    try {
      for (const name of NODES) {
        const dataDir = path.join(root, `node-${name}`);
        const logFile = path.join(root, `${name}.log`);
        const args = [
          ...['--source', source, '--shared-source', '--interval', '2s', '--lease-ttl', '2s', '--keep', '4'],
          ...['--cluster', nats.urls.join(','), '--node-name', name, '--store', STORE],
          ...['--port', '0', '--data-dir', dataDir, '--log-level', 'debug', '--log-format', 'json', '--log-file', logFile],
        ];
        if (STORE === 'nats' && nodes[0]) {
          // One book for the cluster: every node holds the first node's service key (see README "Cluster").
          await mkdir(path.join(dataDir, 'keys'), { recursive: true, mode: 0o700 });
          await copyFile(path.join(nodes[0].dataDir, 'keys', 'service.key'), path.join(dataDir, 'keys', 'service.key'));
        }
        nodes.push({ name, dataDir, logFile, process: spawnSafekeep(args, root) });
        if (STORE === 'nats') await nodes.at(-1)?.process.port();
      }
      const ports = await Promise.all(nodes.map((node) => node.process.port()));

      // Exactly one node takes the lease and runs the job; it makes a few versions.
      const holder = await until(
        'a node to take the lease and back the source up twice',
        async () => {
          for (const node of nodes) {
            const log = await logOf(node);
            if (log.some((line) => line.event === 'cluster.lease' && line['state'] === 'taken') && log.filter((line) => line.event === 'backup.completed').length >= 2) return node;
          }
          return null;
        },
        30_000,
      );
      for (const node of nodes) {
        if (node === holder) continue;
        const log = await logOf(node);
        assert.equal(log.filter((line) => line.event === 'cluster.lease').length, 0, `${node.name} took no lease while ${holder.name} held it`);
        assert.equal(log.filter((line) => line.event === 'backup.copy.started').length, 0, `${node.name} copied nothing while ${holder.name} held the lease`);
      }

      // Killed the way a machine dies: just after it began a copy, so most likely in the middle of one.
      const copiesBefore = (await logOf(holder)).filter((line) => line.event === 'backup.copy.started').length;
      await until('the holder to begin another copy', async () => (await logOf(holder)).filter((line) => line.event === 'backup.copy.started').length > copiesBefore, 10_000);
      const killedAt = Date.now();
      holder.process.child.kill('SIGKILL');
      await holder.process.exited;
      const others = nodes.filter((node) => node !== holder);
      const successor = await until(
        'another node to run the job',
        async () => {
          for (const node of others) {
            const log = await logOf(node);
            if (log.filter((line) => line.event === 'backup.completed').length >= 2) return node;
          }
          return null;
        },
        30_000,
      );
      const successorLog = await logOf(successor);
      const firstCopy = successorLog.find((line) => line.event === 'backup.copy.started');
      assert.ok(firstCopy);
      const takeoverMs = Date.parse(firstCopy.time) - killedAt;
      t.diagnostic(`${holder.name} held the lease and was killed; ${successor.name} started its first copy ${takeoverMs} ms after the kill`);
      assert.ok(takeoverMs <= 2 * INTERVAL_MS, `${successor.name} started its first copy ${takeoverMs} ms after the kill (two intervals: ${2 * INTERVAL_MS} ms)`);
      assert.ok(
        successorLog.some((line) => line.event === 'cluster.lease' && line['state'] === 'taken' && line['node'] === successor.name),
        'the successor says it took the lease',
      );

      // The cluster's catalog (one for all, with --store nats): every version's bytes are on some node's disk, whole.
      const successorPort = ports[nodes.indexOf(successor)] as number;
      const client = await JsonClient.connect(successorPort);
      const { versions } = (await client.ok({ type: 'backup.versions', job: 'notes.txt' })) as { versions: { id: string; sha256: string; damaged: unknown }[] };
      client.close();

      // Stop the survivors (they give their leases up), then look at everything.
      clearInterval(appender);
      // (A survivor stopped gives its lease up, and the other may take it for the moment it has left: copies from here on are not the takeover's.)
      const stopAskedAt = Date.now();
      const exits = await Promise.all(others.map((node) => node.process.stop()));
      exits.forEach((exit, i) => assert.equal(exit.code, 0, `${others[i]?.name}: ${others[i]?.process.stderr}`));

      const stoppedAt = Date.now();
      const copies = (await Promise.all(nodes.map(async (node) => copiesOf(await logOf(node), node === holder ? killedAt : stoppedAt).map((copy) => ({ ...copy, node: node.name }))))).flat();
      assert.ok(copies.filter((copy) => copy.node === holder.name).length >= 2);
      assert.ok(copies.filter((copy) => copy.node === successor.name).length >= 2);
      t.diagnostic(`copies: ${copies.map((copy) => `${copy.node} ${copy.start - killedAt}..${copy.end - killedAt} ms ${copy.outcome}`).join('; ')}`);
      // No two nodes' copies of the job overlapped in time.
      for (const one of copies) {
        for (const other of copies) {
          if (one.node >= other.node) continue;
          const overlap = one.start < other.end && other.start < one.end;
          assert.ok(!overlap, `copies overlapped: ${JSON.stringify(one)} and ${JSON.stringify(other)}`);
        }
      }
      // Exactly one node ran the job before the kill, and one after it.
      assert.deepEqual(new Set(copies.filter((copy) => copy.start < killedAt).map((copy) => copy.node)), new Set([holder.name]));
      assert.deepEqual(new Set(copies.filter((copy) => copy.start > killedAt && copy.start < stopAskedAt).map((copy) => copy.node)), new Set([successor.name]));

      const onDisk = new Set<string>();
      for (const node of nodes) {
        const folder = path.join(node.dataDir, 'backups', 'notes.txt');
        for (const name of await readdir(folder).catch(() => [] as string[])) {
          onDisk.add(createHash('sha256').update(await readFile(path.join(folder, name))).digest('hex'));
        }
      }
      assert.ok(versions.length >= 2, JSON.stringify(versions));
      for (const version of versions) {
        assert.equal(version.damaged, null, version.id);
        assert.ok(onDisk.has(version.sha256), `version ${version.id}: no file on any node's disk has its sha256`);
      }
      // Every version each node's own catalog holds is complete: `safekeep check` re-hashes each against its file.
      for (const node of STORE === 'lowdb' ? nodes : []) {
        const checked = await run(process.execPath, [...SAFEKEEP_ARGV, 'check', '--data-dir', node.dataDir], { cwd: root });
        assert.equal(checked.code, 0, `check of ${node.name}'s data dir: ${checked.stdout}${checked.stderr}`);
        const versions = Number(/(\d+) versions? \(re-hashed\)/.exec(checked.stdout)?.[1] ?? NaN);
        if (node === holder || node === successor) assert.ok(versions >= 2, `${node.name}: ${checked.stdout}`);
      }
    } finally {
      clearInterval(appender);
      await Promise.all(nodes.map((node) => node.process.stop('SIGKILL')));
    }
  });
});
