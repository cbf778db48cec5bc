import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { HostRequestName } from '../../src/host/host-requests.ts';
import { SafekeepError } from '../../src/index.ts';
import { collect } from '../helpers/host-harness.ts';
import { MINUTE, startOpsHost } from '../helpers/ops-host.ts';

type Ops = Awaited<ReturnType<typeof startOpsHost>>;

/** The two typed ways in: the JSON dialect over the socket, and host.request. Both answer the same result as plain JSON. */
const WAYS = [
  {
    name: 'the JSON dialect over a real socket',
    async ok(ops: Ops, type: string, params: Record<string, unknown> = {}): Promise<any> {
      const reply = await ops.json.call({ type, id: 'r1', ...params });
      assert.equal(reply.ok, true, JSON.stringify(reply));
      assert.equal(reply.type, type);
      assert.equal(reply.id, 'r1');
      return reply.result;
    },
    async fails(ops: Ops, type: string, params: Record<string, unknown> = {}): Promise<string> {
      return ops.json.fails({ type, ...params });
    },
  },
  {
    name: 'host.request',
    async ok(ops: Ops, type: string, params: Record<string, unknown> = {}): Promise<any> {
      return JSON.parse(JSON.stringify(await ops.host.request(type as HostRequestName, params as never)));
    },
    async fails(ops: Ops, type: string, params: Record<string, unknown> = {}): Promise<string> {
      const error = await ops.host.request(type as HostRequestName, params as never).then(
        () => assert.fail(`${type} did not fail`),
        (failure: unknown) => failure,
      );
      assert.ok(error instanceof SafekeepError, String(error));
      return error.code;
    },
  },
];

for (const way of WAYS) {
  describe(`every backup operation through ${way.name}`, () => {
    it('backup.status: each job with its state, last and next run, versions and bytes; the version and uptime', async () => {
      const ops = await startOpsHost();
      ops.clock.advance(2_000);
      const status = await way.ok(ops, 'backup.status');
      assert.match(status.version, /^\d+\.\d+\.\d+/);
      assert.equal(status.uptimeMs, 2_000);
      assert.equal(status.startedAt, ops.first.createdAt);
      assert.deepEqual(status.jobs, [
        {
          id: 'notes.json',
          source: ops.source,
          kind: 'file',
          intervalMs: MINUTE,
          state: 'scheduled',
          lastRun: { startedAt: ops.first.createdAt, endedAt: ops.first.createdAt, durationMs: 0, outcome: 'copied', versionId: 'notes.json@1', error: null },
          nextRunAt: ops.first.createdAt + MINUTE,
          versions: 1,
          totalBytes: 7,
          damagedVersions: 0,
        },
      ]);
      await ops.stop();
    });

    it('backup.status after a failed run shows the failure, its code and message, and the retry as the next run', async () => {
      const ops = await startOpsHost();
      await unlink(ops.source);
      assert.equal(await way.fails(ops, 'backup.run'), 'SOURCE_NOT_FOUND');
      const [job] = (await way.ok(ops, 'backup.status')).jobs;
      assert.equal(job.state, 'failed');
      assert.equal(job.lastRun.outcome, 'failed');
      assert.equal(job.lastRun.error.code, 'SOURCE_NOT_FOUND');
      assert.equal(typeof job.lastRun.error.message, 'string');
      assert.equal(job.lastRun.versionId, null);
      assert.equal(job.nextRunAt, ops.clock.now() + 1_000, 'retried after the backoff');
      await ops.stop();
    });

    it('backup.versions: newest first, damaged ones listed and flagged', async () => {
      const ops = await startOpsHost();
      await writeFile(ops.source, '{"v":22}');
      await way.ok(ops, 'backup.run', { job: 'notes.json' });
      await writeFile(ops.first.path, 'tampered');
      await way.ok(ops, 'backup.verify');
      const { jobId, versions } = await way.ok(ops, 'backup.versions', { job: 'notes.json' });
      assert.equal(jobId, 'notes.json');
      assert.deepEqual(versions.map((version: any) => [version.id, version.seq, version.size, version.kind, version.damaged?.reason ?? null]), [
        ['notes.json@2', 2, 8, 'file', null],
        ['notes.json@1', 1, 7, 'file', 'content-mismatch'],
      ]);
      assert.equal(versions[1].sha256, ops.first.sha256);
      await ops.stop();
    });

    it('backup.run and backup.revert, by version number or id; an unknown version and a damaged one are refused', async () => {
      const ops = await startOpsHost();
      await writeFile(ops.source, '{"v":2}');
      const run = await way.ok(ops, 'backup.run');
      assert.equal(run.outcome, 'copied');
      assert.equal((await way.ok(ops, 'backup.revert')).version.id, 'notes.json@2');
      assert.equal((await way.ok(ops, 'backup.revert', { job: 'notes.json', version: 1 })).version.path, ops.first.path);
      assert.equal((await way.ok(ops, 'backup.revert', { job: 'notes.json', version: 'notes.json@1' })).version.id, 'notes.json@1');
      assert.equal(await way.fails(ops, 'backup.revert', { job: 'notes.json', version: 9 }), 'UNKNOWN_VERSION');
      assert.equal(await way.fails(ops, 'backup.revert', { job: 'notes.json', version: 'other.json@1' }), 'UNKNOWN_VERSION');
      await writeFile(ops.first.path, 'tampered');
      await way.ok(ops, 'backup.verify');
      assert.equal(await way.fails(ops, 'backup.revert', { job: 'notes.json', version: 1 }), 'VERSION_DAMAGED');
      await ops.stop();
    });

    it('backup.restore of an older version, then its undo by restoring the version that kept the previous content', async () => {
      const ops = await startOpsHost();
      await writeFile(ops.source, '{"v":2}');
      await way.ok(ops, 'backup.run');
      await writeFile(ops.source, '{"v":3, "unsaved": true}');
      const restored = await way.ok(ops, 'backup.restore', { job: 'notes.json', version: 1 });
      assert.equal(restored.jobId, 'notes.json');
      assert.equal(restored.version.id, 'notes.json@1');
      assert.equal(restored.target, ops.source);
      assert.equal(restored.previous.id, 'notes.json@3', 'the unsaved content was kept first');
      assert.equal(await readFile(ops.source, 'utf8'), '{"v":1}');

      const undone = await way.ok(ops, 'backup.restore', { job: 'notes.json', version: restored.previous.id });
      assert.equal(await readFile(ops.source, 'utf8'), '{"v":3, "unsaved": true}');
      // The restored file is a new file (new inode and mtime), so keeping it makes a version of its own, with @1's bytes.
      assert.equal(undone.previous.id, 'notes.json@4');
      assert.equal(undone.previous.sha256, ops.first.sha256);
      assert.equal((await way.ok(ops, 'backup.versions')).versions.length, 4);
      await ops.stop();
    });

    it('backup.restore with nothing at the source writes it and keeps nothing; to a new target it never overwrites', async () => {
      const ops = await startOpsHost();
      await unlink(ops.source);
      const restored = await way.ok(ops, 'backup.restore', {});
      assert.equal(restored.previous, null);
      assert.equal(await readFile(ops.source, 'utf8'), '{"v":1}');
      const target = path.join(ops.allowed, 'copy.json');
      assert.equal((await way.ok(ops, 'backup.restore', { version: 1, target })).target, target);
      assert.equal(await readFile(target, 'utf8'), '{"v":1}');
      assert.equal((await stat(target)).mode & 0o777, 0o600);
      assert.equal(await way.fails(ops, 'backup.restore', { target }), 'TARGET_EXISTS');
      assert.equal(await way.fails(ops, 'backup.restore', { target: path.join(ops.allowed, 'no-such-folder', 'x.json') }), 'TARGET_FOLDER_MISSING');
      await ops.stop();
    });

    it('backup.restore checks the version first: a damaged one is quarantined and refused, nothing written', async () => {
      const ops = await startOpsHost();
      await writeFile(ops.source, '{"v":2}');
      await writeFile(ops.first.path, '{"v":9}');
      const damaged = collect(ops.host, 'backup.version.damaged');
      assert.equal(await way.fails(ops, 'backup.restore', { version: 1 }), 'VERSION_DAMAGED');
      assert.equal((await damaged.next()).versionId, 'notes.json@1');
      assert.equal(await readFile(ops.source, 'utf8'), '{"v":2}');
      const { versions } = await way.ok(ops, 'backup.versions');
      assert.equal(versions.find((version: any) => version.id === 'notes.json@1').damaged.reason, 'content-mismatch');
      await ops.stop();
    });

    it('job.add, job.pause, job.resume and job.remove', async () => {
      const ops = await startOpsHost();
      const todo = path.join(ops.allowed, 'todo.md');
      await writeFile(todo, '- one\n');
      const { job } = await way.ok(ops, 'job.add', { source: todo, interval: '5m' });
      assert.deepEqual([job.id, job.sourcePath, job.intervalMs], ['todo.md', todo, 5 * MINUTE]);
      assert.equal((await way.ok(ops, 'job.add', { source: todo, interval: 90 })).job.intervalMs, 90_000);
      assert.equal((await way.ok(ops, 'backup.run', { job: 'todo.md' })).version.id, 'todo.md@1');
      assert.deepEqual(await way.ok(ops, 'job.pause', { job: 'todo.md' }), { jobId: 'todo.md' });
      assert.equal((await way.ok(ops, 'backup.status')).jobs[1].state, 'paused');
      assert.deepEqual(await way.ok(ops, 'job.resume', { job: 'todo.md' }), { jobId: 'todo.md' });
      assert.deepEqual(await way.ok(ops, 'job.remove', { job: 'todo.md' }), { jobId: 'todo.md', forgotten: [], kept: 1 });
      assert.equal(await way.fails(ops, 'job.pause', { job: 'todo.md' }), 'UNKNOWN_JOB', 'a removed job is not active');
      assert.equal((await way.ok(ops, 'backup.revert', { job: 'todo.md' })).version.id, 'todo.md@1', 'its versions stay revertable');
      assert.equal(await way.fails(ops, 'job.remove', { job: 'nope' }), 'UNKNOWN_JOB');
      await ops.stop();
    });
  });
}
